"""Outbound HTTP over `wasi:http`, as the host mediates it.

Every request goes through the host, which sends it only to an origin the
manifest grants (and never follows redirects); a refused request raises
HttpError saying so, and the host records it. The component must be built
against the `plugin-http` world, which the SDK's build script does when the
manifest grants an origin.

    from warrant_sdk import http
    r = http.get("https://intel.example/api/ip/203.0.113.7", headers={"accept": "application/json"})
    if r.status == 200:
        data = r.json()

Blocking by design: one call, one request at a time, no event loop.
"""

import json as _json
from urllib.parse import urlsplit

from . import ToolError

# Imported at the top so that the component build snapshots them (see the
# note in __init__). They exist only in the plugin-http world.
try:
    from componentize_py_types import Err
    from wit_world.imports import outgoing_handler as _handler
    from wit_world.imports import streams as _streams
    from wit_world.imports import wasi_http_types as _t
except ImportError:
    _handler = None

# Bytes written or read per stream operation (wasi:io allows 4096 per
# blocking write-and-flush).
_CHUNK = 4096
_READ = 64 * 1024


class HttpError(ToolError):
    """A request the host refused, or that failed on the way."""


class Response:
    """A response: status, headers (lower-case names) and the whole body."""

    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status}, {len(self.body)} bytes>"


def _bindings():
    if _handler is None:
        raise HttpError(
            "this component was built without outbound HTTP: grant an origin under "
            "[grants] http in the manifest and build again"
        )
    return _handler, _streams, _t


def _method(t, name: str):
    simple = {
        "GET": t.Method_Get,
        "HEAD": t.Method_Head,
        "POST": t.Method_Post,
        "PUT": t.Method_Put,
        "DELETE": t.Method_Delete,
        "OPTIONS": t.Method_Options,
        "PATCH": t.Method_Patch,
    }
    m = simple.get(name.upper())
    return m() if m else t.Method_Other(name.upper())


def request(method: str, url: str, headers: dict | None = None, body: bytes | str | None = None) -> Response:
    """Send one request and read the whole response."""
    handler, streams, t = _bindings()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpError(f"not an http(s) URL: {url!r}")
    fields = t.Fields.from_list([(k, str(v).encode()) for k, v in (headers or {}).items()])
    req = t.OutgoingRequest(fields)
    req.set_method(_method(t, method))
    req.set_scheme(t.Scheme_Https() if parts.scheme == "https" else t.Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query(parts.path + (f"?{parts.query}" if parts.query else "") or "/")
    out_body = req.body()
    try:
        future = handler.handle(req, None)
    except Err as e:
        raise HttpError(f"{method} {url}: {_code(e.value)}") from None
    if body is not None:
        data = body.encode() if isinstance(body, str) else bytes(body)
        with out_body.write() as stream:
            for i in range(0, len(data), _CHUNK):
                stream.blocking_write_and_flush(data[i : i + _CHUNK])
    t.OutgoingBody.finish(out_body, None)
    with future:
        with future.subscribe() as ready:
            ready.block()
        result = future.get()
    # option<result<result<incoming-response, error-code>>>
    if result is None or isinstance(result, Err):
        raise HttpError(f"{method} {url}: no response")
    inner = result.value
    if isinstance(inner, Err):
        code = _code(inner.value)
        if code == "HttpRequestDenied":
            raise HttpError(
                f"{method} {url}: refused by the host (the origin is not in this plugin's http grant)"
            )
        raise HttpError(f"{method} {url}: {code}")
    resp = inner.value
    status = resp.status()
    with resp.headers() as fields:
        hdrs = {k.lower(): v.decode("latin-1") for k, v in fields.entries()}
    chunks = []
    with resp, resp.consume() as incoming:
        with incoming.stream() as stream:
            while True:
                try:
                    chunks.append(stream.blocking_read(_READ))
                except Err as e:
                    if isinstance(e.value, streams.StreamError_Closed):
                        break
                    raise HttpError(f"{method} {url}: the response broke off") from None
    return Response(status, hdrs, b"".join(chunks))


def _code(error) -> str:
    return type(error).__name__.removeprefix("ErrorCode_")


def get(url: str, headers: dict | None = None) -> Response:
    """GET `url`."""
    return request("GET", url, headers)


def post(url: str, body: bytes | str, headers: dict | None = None) -> Response:
    """POST `body` to `url`."""
    return request("POST", url, headers, body)
