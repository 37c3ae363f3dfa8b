"""phish-headers: triage the headers of a reported phishing e-mail.

A warrant example plugin in Python (warrant_sdk + componentize-py).
Build: ./build.sh (or `warrant new`'s Python build script) — the tool reads
reported messages from the granted directory /reports and, when asked,
looks the sending address up in the threat-intel API (the http grant).
"""

import email
import email.policy
import email.utils
import ipaddress
import os
import re
from dataclasses import dataclass, field

from warrant_sdk import InvalidInput, ToolError, http, log, plugin, tool

REPORTS = "/reports"
DEFAULT_API = "http://127.0.0.1:8788"
MAX_BYTES = 512 * 1024

_IP = re.compile(r"\[((?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)\]")
_URL = re.compile(r"\b(?:https?|hxxps?)://[^\s<>\"']+", re.IGNORECASE)
_AUTH = re.compile(r"\b(spf|dkim|dmarc)=(\w+)", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class Input:
    """Which message to triage: a file under /reports, or the raw text."""

    file: str | None = field(
        default=None,
        metadata={"description": "A .eml file name under /reports, e.g. report-0042.eml"},
    )
    message: str | None = field(
        default=None,
        metadata={"description": "The raw message (headers, optionally the body), instead of a file"},
    )
    lookup: bool = field(
        default=False,
        metadata={"description": "Also look the originating address up in the threat-intel API"},
    )


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].lower().strip(">")


_INTERNAL = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]


def _external(ip: str) -> bool:
    """Not loopback, link-local or an internal (RFC 1918 / CGN / ULA) range."""
    try:
        a = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (a.is_loopback or a.is_link_local or a.is_unspecified or any(a in n for n in _INTERNAL))


def _refang(url: str) -> str:
    return re.sub(r"^hxxp", "http", url, flags=re.IGNORECASE).replace("[.]", ".")


def _read(input: Input) -> bytes:
    if (input.file is None) == (input.message is None):
        raise InvalidInput("give exactly one of `file` and `message`")
    if input.message is not None:
        if len(input.message) > MAX_BYTES:
            raise InvalidInput(f"`message` is larger than {MAX_BYTES} bytes")
        return input.message.encode()
    # A name, not a path: the tool reads /reports and nothing else (and the
    # sandbox holds it to that, whatever a caller sends).
    path = input.file if input.file.startswith("/") else f"{REPORTS}/{input.file}"
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ToolError(f"cannot read {path}: {e.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ToolError(f"{path} is larger than {MAX_BYTES} bytes")
    return data


def _hops(msg) -> list[dict]:
    hops = []
    for value in msg.get_all("Received", []):
        text = " ".join(str(value).split())
        ip = next((m for m in _IP.findall(text)), None)
        by = re.search(r"\bby\s+(\S+)", text)
        when = text.rpartition(";")[2].strip() if ";" in text else None
        hops.append({"from": text.split(" by ")[0][5:].strip()[:200], "ip": ip, "by": by.group(1) if by else None, "at": when})
    return hops


def _intel(ip: str) -> dict:
    api = os.environ.get("INTEL_API", DEFAULT_API).rstrip("/")
    r = http.get(f"{api}/v1/indicators/ip/{ip}", headers={"accept": "application/json"})
    if r.status == 404:
        return {"found": False}
    if r.status != 200:
        raise ToolError(f"the intel API answered {r.status}")
    a = r.json()
    return {"found": True, "verdict": a.get("verdict"), "score": a.get("score"), "tags": a.get("tags", [])}


@tool(
    name="analyze",
    description="Triage a reported e-mail from its headers: sender, display-name spoofing, "
    "Reply-To and Return-Path mismatches, SPF/DKIM/DMARC results, the relay chain and the "
    "originating address, and the links in a plain-text body; optionally looks the "
    "originating address up in threat intel.",
    impact="read",
)
def analyze(input: Input) -> dict:
    msg = email.message_from_bytes(_read(input), policy=email.policy.default)
    name, sender = email.utils.parseaddr(str(msg.get("From", "")))
    from_domain = _domain(sender) if sender else None
    reply_to = email.utils.parseaddr(str(msg.get("Reply-To", "")))[1] or None
    return_path = email.utils.parseaddr(str(msg.get("Return-Path", "")))[1] or None
    findings = []
    shown = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", name or "")
    if shown and shown.group(0).lower() != (sender or "").lower():
        findings.append(f"display name shows {shown.group(0)} but the sender is {sender}")
    if reply_to and from_domain and _domain(reply_to) != from_domain:
        findings.append(f"replies go to {reply_to}, another domain than the sender's")
    if return_path and from_domain and not _domain(return_path).endswith(from_domain):
        findings.append(f"bounces go to {return_path}, another domain than the sender's")
    auth = {k.lower(): v.lower() for k, v in _AUTH.findall(" ".join(str(v) for v in msg.get_all("Authentication-Results", [])))}
    for check in ("spf", "dkim", "dmarc"):
        if auth.get(check) in ("fail", "softfail", "none", "permerror"):
            findings.append(f"{check.upper()} {auth[check]}")
    hops = _hops(msg)
    # The oldest relay (the last Received header) with an external address.
    origin = next((h["ip"] for h in reversed(hops) if h["ip"] and _external(h["ip"])), None)
    urls = []
    body = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() or msg.get_content_type() == "text/plain" else None
    if body is not None:
        for u in _URL.findall(body.get_content()):
            u = _refang(u.rstrip(".,)"))
            if u not in urls:
                urls.append(u)
    out = {
        "subject": str(msg.get("Subject", "")),
        "from": {"name": name or None, "address": sender or None, "domain": from_domain},
        "reply_to": reply_to,
        "return_path": return_path,
        "authentication": auth,
        "hops": hops,
        "origin_ip": origin,
        "urls": urls[:50],
        "findings": findings,
        "suspicious": bool(findings),
    }
    if input.lookup and origin:
        log.info(f"looking up {origin}")
        out["origin_intel"] = _intel(origin)
    return out


@dataclass
class ListInput:
    """No input."""


@tool(name="reports", description="List the reported messages under /reports.", impact="read")
def reports(input: ListInput) -> list[str]:
    try:
        return sorted(n for n in os.listdir(REPORTS) if _NAME.match(n))
    except OSError as e:
        raise ToolError(f"cannot list {REPORTS}: {e.strerror}") from None


# The build snapshots the interpreter after this module is imported: parse
# one message now, so that every module the parser loads lazily is loaded
# (while a call runs there are no files to load modules from).
email.message_from_bytes(
    b"From: =?utf-8?q?A_=C3=A9?= <a@b.example>\r\nSubject: =?utf-8?b?w6k=?=\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nx\r\n",
    policy=email.policy.default,
).get_body(preferencelist=("plain",)).get_content()

WitWorld = plugin(analyze, reports)
