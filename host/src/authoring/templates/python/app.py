"""{{id}}: look an indicator up in a threat-intel API.

Build: ./build.sh — test: warrant test — try: warrant dev call lookup --input '{"indicator":"203.0.113.7"}'
"""

import os
import re
from dataclasses import dataclass, field

from warrant_sdk import InvalidInput, ToolError, http, log, plugin, tool

# The API asked when the operator sets no INTEL_API.
DEFAULT_API = "https://intel.example.com"
INDICATOR = re.compile(r"^[A-Za-z0-9.:_-]{1,256}$")


@dataclass
class Input:
    indicator: str = field(metadata={"description": "An IP address, domain or hash, 1-256 characters"})


@tool(
    name="lookup",
    description="Look an indicator (IP address, domain or hash) up in the threat-intel API; "
    "found is false when the API does not know it",
    impact="read",
)
def lookup(input: Input) -> dict:
    indicator = input.indicator.strip()
    if not INDICATOR.match(indicator):
        raise InvalidInput("`indicator` must be 1-256 letters, digits or . : _ -")
    api = os.environ.get("INTEL_API", DEFAULT_API).rstrip("/")
    log.info(f"looking up {indicator}")
    r = http.get(f"{api}/v1/indicators/{indicator}", headers={"accept": "application/json"})
    if r.status == 404:
        return {"found": False}
    if r.status != 200:
        raise ToolError(f"the intel API answered {r.status}")
    answer = r.json()
    return {"found": True, "verdict": answer.get("verdict"), "score": answer.get("score")}


WitWorld = plugin(lookup)
