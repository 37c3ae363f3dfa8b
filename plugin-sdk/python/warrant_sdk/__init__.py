"""warrant-sdk for Python: write a warrant tool as a plain function.

A warrant plugin is a WebAssembly component that offers tools. The host runs
each call in a fresh sandbox that can do only what the plugin's signed
manifest grants, so a tool is plain Python: take typed input, return output
that becomes JSON, raise to report an error.

    # app.py — built with: ./build.sh  (componentize-py, see warrant new)
    from dataclasses import dataclass, field
    from warrant_sdk import InvalidInput, log, plugin, tool

    @dataclass
    class Input:
        text: str = field(metadata={"description": "Text to count words in"})

    @tool(name="word-count", description="Count the words in a text", impact="read")
    def word_count(input: Input) -> dict:
        if not input.text:
            raise InvalidInput("`text` is empty")
        log.info("counting words")
        return {"words": len(input.text.split())}

    WitWorld = plugin(word_count)

The input dataclass's type hints are the input schema agents see, and the
input is checked against them before the tool runs. What a tool can reach —
files under granted directories (plain `open`), outbound HTTP to granted
origins (`warrant_sdk.http`), environment variables the operator sets
(`os.environ`), secrets (`secret`) — is what the manifest grants; everything
else fails as if it did not exist.
"""

import dataclasses
import json
import typing

from . import _schema
from ._schema import InputError, SchemaError

# componentize-py snapshots the app after importing it: a module that is not
# imported by then cannot be imported while a call runs (the sandbox has no
# files to load it from). So everything is imported here, at the top. Outside
# a component build (unit tests of a tool) the bindings are missing, and the
# functions that need them say so.
try:
    from componentize_py_types import Err
    from wit_world.imports import host as _host

    # The world's `types` interface is `types`, or `warrant_plugin_types`
    # when the world also imports `wasi:http/types` (the plugin-http world).
    try:
        from wit_world.imports import warrant_plugin_types as _types
    except ImportError:
        from wit_world.imports import types as _types
except ImportError:  # not inside a component
    Err = None
    _host = None
    _types = None

__all__ = [
    "InvalidInput",
    "Tool",
    "ToolError",
    "log",
    "plugin",
    "secret",
    "tool",
]

IMPACTS = ("read", "write", "high")


class ToolError(Exception):
    """The tool ran and could not do its job (`failed` in the audit chain)."""


class InvalidInput(ToolError):
    """The input made no sense (`invalid-input` in the audit chain)."""


def _bindings():
    if _host is None:
        raise ToolError("the warrant host API is only there inside a component build")
    return _host, _types


class _Log:
    """Lines in the host's log, attributed to this plugin and call. The host
    bounds their number and length and escapes control characters."""

    def _write(self, level: str, message: str) -> None:
        if _host is None:  # outside a component: a unit test of the tool
            print(f"[{level.lower()}] {message}")
            return
        _host.log(getattr(_host.Level, level), str(message))

    def debug(self, message: str) -> None:
        self._write("DEBUG", message)

    def info(self, message: str) -> None:
        self._write("INFO", message)

    def warn(self, message: str) -> None:
        self._write("WARN", message)

    def error(self, message: str) -> None:
        self._write("ERROR", message)


log = _Log()


def secret(name: str) -> str:
    """A secret the manifest grants, by name; the operator supplies the
    value and the host records the read (by name only).

    Raises ToolError naming the secret when it is not granted."""
    host, _ = _bindings()
    try:
        return host.secret(name)
    except Err as e:
        raise ToolError(f"secret `{name}`: {e.value}") from None


@dataclasses.dataclass
class Tool:
    """One tool: its name, description, impact, input type and function."""

    name: str
    description: str
    impact: str
    input_type: typing.Any
    func: typing.Callable

    def input_schema(self) -> str:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        schema.update(_schema.schema_for(self.input_type))
        return json.dumps(schema, separators=(",", ":"))

    def run(self, text: str) -> str:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"the input is not JSON: {e}") from None
        try:
            arg = _schema.parse(self.input_type, value)
        except InputError as e:
            raise InvalidInput(str(e)) from None
        out = self.func(arg)
        return json.dumps(_schema.to_json_value(out), separators=(",", ":"))


def tool(*, name: str, description: str, impact: str = "read"):
    """Declare a function as a tool. Its one parameter's type hint (a
    dataclass, usually) is the input type."""
    if impact not in IMPACTS:
        raise ValueError(f"impact must be one of {IMPACTS}, not {impact!r}")

    def wrap(func):
        hints = typing.get_type_hints(func)
        params = [p for p in hints if p != "return"]
        if len(params) != 1:
            raise SchemaError(f"tool `{name}`: the function takes exactly one typed parameter")
        input_type = hints[params[0]]
        _schema.schema_for(input_type)  # fail at build time, not at a call
        return Tool(name, description, impact, input_type, func)

    return wrap


def plugin(*tools: Tool):
    """The class componentize-py exports as the component: assign it to
    `WitWorld` in the app module."""
    by_name = {}
    for t in tools:
        if not isinstance(t, Tool):
            raise TypeError(f"{t!r} is not a tool: decorate it with @tool(...)")
        if t.name in by_name:
            raise ValueError(f"tool `{t.name}` is declared twice")
        by_name[t.name] = t

    class WitWorld:
        def tools(self):
            _, w = _bindings()
            impact = {"read": w.Impact.READ, "write": w.Impact.WRITE, "high": w.Impact.HIGH}
            return [
                w.Tool(
                    name=t.name,
                    description=t.description,
                    input_schema=t.input_schema(),
                    impact=impact[t.impact],
                )
                for t in by_name.values()
            ]

        def call(self, tool: str, input: str) -> str:
            _, w = _bindings()
            t = by_name.get(tool)
            if t is None:
                raise Err(w.CallError_InvalidInput(f"no tool named `{tool}`"))
            try:
                return t.run(input)
            except InvalidInput as e:
                raise Err(w.CallError_InvalidInput(str(e))) from None
            except ToolError as e:
                raise Err(w.CallError_Failed(str(e))) from None
            except Exception as e:  # a bug in the tool: report, do not trap
                log.error(f"tool `{tool}` raised {type(e).__name__}: {e}")
                raise Err(w.CallError_Failed(f"{type(e).__name__}: {e}")) from None

    return WitWorld


from . import http  # noqa: E402  (imported here so that builds snapshot it)
