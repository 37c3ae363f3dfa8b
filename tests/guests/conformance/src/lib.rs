//! The tools the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`) calls by name, for warrant's
//! conformance run: each returns what the suite's scenario documents.
//! Tools the suite wants that warrant's WIT world cannot express (content
//! other than text, progress, logging to the client, asking the client for
//! input) are not here; `host/docs/mcp-and-oauth.md` lists those scenarios
//! as not applicable, with the reason.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use warrant_sdk::{Impact, Tool, ToolError};

/// No arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

/// `tools-call-simple-text`: a text result.
#[derive(Debug)]
pub struct SimpleText;

impl Tool for SimpleText {
    const NAME: &'static str = "test_simple_text";
    const DESCRIPTION: &'static str = "Returns a simple text response (conformance fixture)";
    const IMPACT: Impact = Impact::Read;
    type Input = NoArguments;
    type Output = String;

    fn call(_: NoArguments) -> Result<String, ToolError> {
        Ok("This is a simple text response for testing.".into())
    }
}

/// `tools-call-error`: a tool that always fails.
#[derive(Debug)]
pub struct ErrorHandling;

impl Tool for ErrorHandling {
    const NAME: &'static str = "test_error_handling";
    const DESCRIPTION: &'static str = "Always returns a tool error (conformance fixture)";
    const IMPACT: Impact = Impact::Read;
    type Input = NoArguments;
    type Output = String;

    fn call(_: NoArguments) -> Result<String, ToolError> {
        Err(ToolError::failed(
            "This tool intentionally returns an error for testing",
        ))
    }
}

/// A contact, under the JSON Schema 2020-12 the suite's
/// `json-schema-2020-12` scenario expects a server to list unchanged.
#[derive(Debug, Deserialize)]
pub struct Contact {
    /// The rest is the schema's business.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl JsonSchema for Contact {
    fn schema_name() -> Cow<'static, str> {
        "Contact".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {
                "address": {
                    "$anchor": "addressDef",
                    "type": "object",
                    "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
                }
            },
            "properties": {
                "name": {"type": "string"},
                "address": {"$ref": "#/$defs/address"},
                "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                "phone": {"type": "string"},
                "email": {"type": "string"}
            },
            "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
            "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
            "then": {"required": ["phone"]},
            "else": {"required": ["email"]},
            "additionalProperties": false
        })
    }
}

/// `json-schema-2020-12`: a tool whose input schema uses the 2020-12
/// vocabulary.
#[derive(Debug)]
pub struct Schema2020;

impl Tool for Schema2020 {
    const NAME: &'static str = "json_schema_2020_12_tool";
    const DESCRIPTION: &'static str =
        "Takes a contact under a JSON Schema 2020-12 input schema (conformance fixture)";
    const IMPACT: Impact = Impact::Read;
    type Input = Contact;
    type Output = usize;

    fn call(input: Contact) -> Result<usize, ToolError> {
        Ok(input.fields.len())
    }
}

warrant_sdk::export_plugin!(SimpleText, ErrorHandling, Schema2020);
