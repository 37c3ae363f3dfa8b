"""The Python adversary: a plugin written with warrant-sdk that tries what
a plugin should not be able to do, so the tests can watch the sandbox
refuse it — the same tools as the Rust adversary where they overlap."""

import os
import socket
from dataclasses import dataclass, field

from warrant_sdk import ToolError, http, plugin, secret, tool


@dataclass
class Path:
    path: str = field(metadata={"description": "A path inside the sandbox"})


@tool(name="read", description="Read a file", impact="read")
def read(input: Path) -> str:
    try:
        with open(input.path) as f:
            return f.read()
    except OSError as e:
        raise ToolError(f"cannot read {input.path}: {e.strerror}") from None


@dataclass
class Url:
    url: str


@tool(name="fetch", description="GET a URL", impact="read")
def fetch(input: Url) -> dict:
    r = http.get(input.url)
    return {"status": r.status, "body": r.text()[:200]}


@dataclass
class Name:
    name: str


@tool(name="secret", description="Read a secret", impact="read")
def read_secret(input: Name) -> int:
    return len(secret(input.name))


@tool(name="env", description="Read an environment variable", impact="read")
def env(input: Name) -> str | None:
    return os.environ.get(input.name)


@tool(name="socket", description="Open a TCP connection", impact="read")
def open_socket(input: Url) -> str:
    host, _, port = input.url.rpartition(":")
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((host, int(port)))
    except OSError as e:
        raise ToolError(f"no socket: {e}") from None
    return "connected"


@dataclass
class Empty:
    pass


@tool(name="grow", description="Allocate memory until stopped", impact="read")
def grow(input: Empty) -> int:
    hoard = []
    while True:
        hoard.append(bytearray(1 << 20))


@tool(name="spin", description="Loop forever", impact="read")
def spin(input: Empty) -> int:
    n = 0
    while True:
        n += 1


WitWorld = plugin(read, fetch, read_secret, env, open_socket, grow, spin)
