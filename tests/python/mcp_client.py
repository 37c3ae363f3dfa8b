#!/usr/bin/env python3
"""A real, third-party MCP client — the `mcp` package from PyPI — driving
warrant for its integration tests (`tests/tests/all/api.rs`).

Usage:
  mcp_client.py stdio --command PATH [--arg=A]... [--env K=V]... [--client C] --steps JSON
  mcp_client.py http --url URL [--token T] [--header K=V]... [--client C] --steps JSON

C is `session` (default: a ClientSession with the initialize handshake) or
`client` (the high-level Client in its default mode, which negotiates the
newest protocol version both sides speak).

STEPS is a JSON list, run in order in one MCP session:
  {"op": "list"}
  {"op": "call", "name": "plugin__tool", "arguments": {...}, "meta": {...},
   "timeout": seconds}   (on timeout the client gives up and cancels the call)

Prints one JSON object on stdout:
  {"server_info": {"name", "version", "title"}, "instructions": str,
   "results": [ {"tools": [...]} | {"error": str, "code": int}
              | {"is_error", "text", "structured", "meta"} ]}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import httpx2
from mcp import Client, ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client


def tool_view(tool: Any) -> dict[str, Any]:
    hints = tool.annotations
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "read_only": hints.read_only_hint if hints else None,
        "destructive": hints.destructive_hint if hints else None,
    }


def header(server_info: Any, protocol_version: str | None, instructions: str | None) -> dict[str, Any]:
    return {
        "server_info": {
            "name": server_info.name if server_info else None,
            "version": server_info.version if server_info else None,
            "title": server_info.title if server_info else None,
        },
        "protocol_version": protocol_version,
        "instructions": instructions,
        "results": [],
    }


async def run_steps(client: Any, out: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the steps on a `ClientSession` or a `Client` (same methods)."""
    for step in steps:
        try:
            if step["op"] == "list":
                listed = await client.list_tools()
                out["results"].append({"tools": [tool_view(t) for t in listed.tools]})
            elif step["op"] == "call":
                result = await client.call_tool(
                    step["name"],
                    step.get("arguments", {}),
                    read_timeout_seconds=step.get("timeout"),
                    meta=step.get("meta"),
                )
                texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
                out["results"].append(
                    {
                        "is_error": result.is_error,
                        "text": "\n".join(texts),
                        "structured": result.structured_content,
                        "meta": result.meta or {},
                    }
                )
            else:
                raise ValueError(f"unknown step {step!r}")
        except MCPError as e:
            out["results"].append({"error": e.message, "code": e.code, "data": e.data})
    return out


async def drive(transport: Any, kind: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """`session`: a `ClientSession` with the initialize handshake; `client`:
    the high-level `Client` in its default mode (it probes `server/discover`
    and uses the newest protocol both sides speak)."""
    if kind == "client":
        async with Client(transport) as client:
            out = header(client.server_info, client.protocol_version, client.instructions)
            return await run_steps(client, out, steps)
    async with transport as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out = header(init.server_info, init.protocol_version, init.instructions)
            return await run_steps(session, out, steps)


def pairs(items: list[str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in items)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="transport", required=True)
    stdio = sub.add_parser("stdio")
    stdio.add_argument("--command", required=True)
    stdio.add_argument("--arg", action="append", default=[])
    stdio.add_argument("--env", action="append", default=[])
    stdio.add_argument("--steps", required=True)
    stdio.add_argument("--client", choices=["session", "client"], default="session")
    http = sub.add_parser("http")
    http.add_argument("--url", required=True)
    http.add_argument("--token")
    http.add_argument("--header", action="append", default=[])
    http.add_argument("--steps", required=True)
    http.add_argument("--client", choices=["session", "client"], default="session")
    args = parser.parse_args()
    steps = json.loads(args.steps)

    if args.transport == "stdio":
        params = StdioServerParameters(command=args.command, args=args.arg, env=pairs(args.env))
        out = await drive(stdio_client(params), args.client, steps)
    else:
        headers = pairs(args.header)
        if args.token:
            headers["Authorization"] = f"Bearer {args.token}"
        timeout = httpx2.Timeout(30.0, read=300.0)
        async with httpx2.AsyncClient(headers=headers, timeout=timeout) as http_client:
            out = await drive(streamable_http_client(args.url, http_client=http_client), args.client, steps)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
