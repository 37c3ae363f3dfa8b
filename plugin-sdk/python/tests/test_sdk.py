"""Unit tests of warrant_sdk that need no component build: schemas from
type hints, input checking, output encoding, tool dispatch errors.

Run: python3 -m unittest discover -s plugin-sdk/python/tests -t plugin-sdk/python
"""

import enum
import json
import unittest
from dataclasses import dataclass, field
from typing import Literal

from warrant_sdk import InvalidInput, ToolError, tool
from warrant_sdk._schema import InputError, object_schema, parse


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


@dataclass
class Inner:
    name: str


@dataclass
class Input:
    """What to look for."""

    text: str = field(metadata={"description": "Some text"})
    limit: int = 10
    ratio: float | None = None
    tags: list[str] = field(default_factory=list)
    level: Level = Level.LOW
    mode: Literal["fast", "deep"] = "fast"
    inner: Inner | None = None


class SchemaTest(unittest.TestCase):
    def test_schema_from_type_hints(self):
        s = object_schema(Input)
        self.assertEqual(s["required"], ["text"])
        self.assertFalse(s["additionalProperties"])
        self.assertEqual(s["description"], "What to look for.")
        p = s["properties"]
        self.assertEqual(p["text"], {"type": "string", "description": "Some text"})
        self.assertEqual(p["limit"], {"type": "integer", "default": 10})
        self.assertEqual(p["ratio"]["anyOf"], [{"type": "number"}, {"type": "null"}])
        self.assertEqual(p["tags"], {"type": "array", "items": {"type": "string"}})
        self.assertEqual(p["level"], {"enum": ["low", "high"], "default": "low"})
        self.assertEqual(p["mode"], {"enum": ["fast", "deep"], "default": "fast"})

    def test_input_is_checked(self):
        v = parse(Input, {"text": "x", "tags": ["a"], "level": "high", "inner": {"name": "n"}})
        self.assertEqual((v.text, v.tags, v.level, v.inner.name), ("x", ["a"], Level.HIGH, "n"))
        for bad, words in [
            ({}, "missing required field 'text'"),
            ({"text": 1}, "input.text: expected a string, got an integer"),
            ({"text": "x", "extra": 1}, "unknown field 'extra'"),
            ({"text": "x", "limit": True}, "input.limit: expected an integer, got a boolean"),
            ({"text": "x", "tags": ["a", 2]}, "input.tags[1]: expected a string"),
            ({"text": "x", "mode": "slow"}, "input.mode: must be one of 'fast', 'deep'"),
            ({"text": "x", "inner": {}}, "input.inner: missing required field 'name'"),
        ]:
            with self.assertRaises(InputError) as e:
                parse(Input, bad)
            self.assertIn(words, str(e.exception))

    def test_tools_map_errors(self):
        @tool(name="t", description="d")
        def t(input: Input) -> dict:
            if input.text == "bad":
                raise InvalidInput("bad text")
            if input.text == "fail":
                raise ToolError("could not")
            return {"level": input.level, "inner": Inner("x")}

        self.assertEqual(json.loads(t.run('{"text":"ok"}')), {"level": "low", "inner": {"name": "x"}})
        with self.assertRaises(InvalidInput):
            t.run('{"text": 3}')
        with self.assertRaises(InvalidInput):
            t.run("not json")
        with self.assertRaises(ToolError):
            t.run('{"text":"fail"}')
        self.assertEqual(json.loads(t.input_schema())["$schema"], "https://json-schema.org/draft/2020-12/schema")


if __name__ == "__main__":
    unittest.main()
