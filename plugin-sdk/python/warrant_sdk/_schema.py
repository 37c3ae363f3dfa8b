"""JSON Schema from type hints, and typed input from JSON.

A tool's input is a dataclass. Its fields' type hints give the schema the
host publishes to agents (draft 2020-12), and the same hints check the JSON
an agent sends before the tool sees it. Supported: str, int, float, bool,
None, list[T], dict[str, T], Optional[T] / T | None, Literal[...], Enum,
and nested dataclasses. A field's description is
`field(metadata={"description": "..."})`; the dataclass's docstring
describes the whole input. Unknown fields are refused.
"""

import dataclasses
import enum
import types
import typing
from typing import Any


class SchemaError(TypeError):
    """A type hint this SDK cannot express as JSON Schema."""


class InputError(ValueError):
    """The input does not match the tool's input type; says where."""


def _args(tp):
    return typing.get_args(tp)


def _is_optional(tp) -> bool:
    origin = typing.get_origin(tp)
    return origin in (typing.Union, types.UnionType) and type(None) in _args(tp)


def schema_for(tp, hints_owner=None) -> dict:
    """The JSON Schema of a type hint."""
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is type(None):
        return {"type": "null"}
    if tp is Any:
        return {}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if dataclasses.is_dataclass(tp):
        return object_schema(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return {"enum": list(_args(tp))}
    if origin in (list, tuple, set, frozenset) or tp in (list,):
        item = _args(tp)[0] if _args(tp) else Any
        return {"type": "array", "items": schema_for(item)}
    if origin is dict:
        key, value = _args(tp) or (str, Any)
        if key is not str:
            raise SchemaError("dict keys must be str")
        return {"type": "object", "additionalProperties": schema_for(value)}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_for(a) for a in _args(tp)]}
    raise SchemaError(f"cannot express {tp!r} as JSON Schema")


def object_schema(cls) -> dict:
    """The JSON Schema of a dataclass: an object with exactly its fields."""
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        s = dict(schema_for(hints[f.name]))
        if "description" in f.metadata:
            s["description"] = f.metadata["description"]
        if f.default is not dataclasses.MISSING:
            if isinstance(f.default, enum.Enum):
                s["default"] = f.default.value
            else:
                s["default"] = f.default
        elif f.default_factory is dataclasses.MISSING:
            required.append(f.name)
        props[f.name] = s
    out = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    doc = (cls.__doc__ or "").strip()
    # A dataclass without a docstring gets a generated one; leave it out.
    if doc and not doc.startswith(cls.__name__ + "("):
        out["description"] = doc
    return out


_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _kind(v) -> str:
    return _NAMES.get(type(v), type(v).__name__)


def parse(tp, value, where: str = "input"):
    """`value` (decoded JSON) as `tp`, or InputError naming the field."""
    if tp is Any:
        return value
    if _is_optional(tp):
        if value is None:
            return None
        rest = [a for a in _args(tp) if a is not type(None)]
        tp = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]
    if tp is str or tp is bool or tp is type(None):
        if type(value) is not tp:
            raise InputError(f"{where}: expected {_NAMES[tp]}, got {_kind(value)}")
        return value
    if tp is int:
        if type(value) is not int:
            raise InputError(f"{where}: expected an integer, got {_kind(value)}")
        return value
    if tp is float:
        if type(value) not in (int, float):
            raise InputError(f"{where}: expected a number, got {_kind(value)}")
        return float(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise InputError(f"{where}: must be one of {allowed}") from None
    if dataclasses.is_dataclass(tp):
        return parse_object(tp, value, where)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        if value not in _args(tp):
            allowed = ", ".join(repr(a) for a in _args(tp))
            raise InputError(f"{where}: must be one of {allowed}")
        return value
    if origin in (list, tuple, set, frozenset):
        if type(value) is not list:
            raise InputError(f"{where}: expected an array, got {_kind(value)}")
        item = _args(tp)[0] if _args(tp) else Any
        items = [parse(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else origin(items)
    if origin is dict:
        if type(value) is not dict:
            raise InputError(f"{where}: expected an object, got {_kind(value)}")
        vt = _args(tp)[1] if _args(tp) else Any
        return {k: parse(vt, v, f"{where}.{k}") for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        for a in _args(tp):
            try:
                return parse(a, value, where)
            except InputError:
                pass
        raise InputError(f"{where}: matches none of the allowed types")
    raise SchemaError(f"cannot read {tp!r} from JSON")


def parse_object(cls, value, where: str = "input"):
    """A dataclass instance from a decoded JSON object."""
    if type(value) is not dict:
        raise InputError(f"{where}: expected an object, got {_kind(value)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            kwargs[f.name] = parse(hints[f.name], value[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InputError(f"{where}: missing required field {f.name!r}")
    return cls(**kwargs)


def to_json_value(v):
    """Tool output as plain JSON values (dataclasses and enums included)."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: to_json_value(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, dict):
        return {str(k): to_json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [to_json_value(x) for x in v]
    return v
