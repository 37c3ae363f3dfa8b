#!/usr/bin/env python3
"""An agent workload for warrant's tests, holding no operator secret: it
gets a credential from its platform's OpenID provider (client credentials),
discovers warrant's authorization as an MCP client does (401 →
WWW-Authenticate resource_metadata → RFC 9728 → RFC 8414), and calls a tool
over MCP streamable HTTP with the `mcp` package from PyPI.

Usage:
  workload_agent.py --idp ISSUER --client-id ID --client-secret S --mcp URL
                    --mode exchange|access-token --audience AUD --task T
                    --tool NAME --arguments JSON

exchange:     the IdP token (for AUD, the workload audience) is exchanged
              at warrant's token endpoint (RFC 8693) for a task token.
access-token: the IdP token is requested for AUD = warrant's resource and
              presented as it is (RFC 9068).

Prints one JSON object: {"discovery": {...}, "tools": [...], "call": {...}}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def main() -> int:
    p = argparse.ArgumentParser()
    for a in ["--idp", "--client-id", "--client-secret", "--mcp", "--mode", "--audience", "--task", "--tool", "--arguments"]:
        p.add_argument(a, required=True)
    args = p.parse_args()
    out: dict = {"discovery": {}}
    async with httpx2.AsyncClient(timeout=30.0) as http:
        # The challenge.
        r = await http.post(args.mcp, json={"jsonrpc": "2.0", "id": 0, "method": "ping"},
                            headers={"accept": "application/json, text/event-stream"})
        challenge = r.headers.get("www-authenticate", "")
        out["discovery"]["status"] = r.status_code
        m = re.search(r'resource_metadata="([^"]+)"', challenge)
        if not m:
            raise SystemExit(f"no resource_metadata in {challenge!r}")
        prm = (await http.get(m.group(1))).json()
        out["discovery"]["resource"] = prm["resource"]
        out["discovery"]["authorization_servers"] = prm["authorization_servers"]
        # The platform credential.
        t = await http.post(f"{args.idp}/token", data={
            "grant_type": "client_credentials", "client_id": args.client_id,
            "client_secret": args.client_secret, "resource": args.audience})
        t.raise_for_status()
        credential = t.json()["access_token"]
        if args.mode == "exchange":
            # The authorization server that exchanges workload credentials
            # (RFC 8693): the first whose metadata offers that grant.
            exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
            asm = None
            for server in prm["authorization_servers"]:
                r = await http.get(f"{server.rstrip('/')}/.well-known/oauth-authorization-server")
                if r.status_code == 200 and exchange in r.json().get("grant_types_supported", []):
                    asm = r.json()
                    break
            if asm is None:
                raise SystemExit(f"no token-exchange server among {prm['authorization_servers']}")
            out["discovery"]["token_endpoint"] = asm["token_endpoint"]
            x = await http.post(asm["token_endpoint"], data={
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": credential,
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                "resource": prm["resource"], "task": args.task})
            if x.status_code != 200:
                raise SystemExit(f"exchange refused: {x.status_code} {x.text}")
            bearer = x.json()["access_token"]
        else:
            bearer = credential
    headers = {"Authorization": f"Bearer {bearer}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0)) as client:
        async with streamable_http_client(args.mcp, http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = await session.list_tools()
                out["tools"] = [t.name for t in listed.tools]
                result = await session.call_tool(args.tool, json.loads(args.arguments))
                out["call"] = {
                    "is_error": result.is_error,
                    "text": "\n".join(c.text for c in result.content if getattr(c, "type", None) == "text"),
                }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
