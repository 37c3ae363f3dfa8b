//! Tools that probe how the host hands over input: `first-arg` reads its
//! input with a parser that keeps the *first* of two equal keys (as some
//! parsers do), so a host that let duplicate keys through would make it act
//! on an argument policy never saw; `random-bytes` asks for more randomness
//! in one request than the host's budget allows.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use warrant_sdk::{Impact, Tool, ToolError};

/// Input of `first-arg`: `{"arg": "…"}`, read keeping the first `arg`.
#[derive(Debug, JsonSchema)]
pub struct FirstArg {
    /// The argument.
    pub arg: String,
}

impl<'de> Deserialize<'de> for FirstArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstArg;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with `arg`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<FirstArg, A::Error> {
                let mut arg: Option<String> = None;
                while let Some(k) = m.next_key::<String>()? {
                    if k == "arg" && arg.is_none() {
                        arg = Some(m.next_value()?);
                    } else {
                        let _: serde::de::IgnoredAny = m.next_value()?;
                    }
                }
                arg.map(|arg| FirstArg { arg })
                    .ok_or_else(|| serde::de::Error::missing_field("arg"))
            }
        }
        d.deserialize_map(V)
    }
}

/// Output of `first-arg`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Acted {
    /// The argument the tool acted on.
    pub acted_on: String,
}

/// Acts on the first `arg` of its input.
#[derive(Debug)]
pub struct First;

impl Tool for First {
    const NAME: &'static str = "first-arg";
    const DESCRIPTION: &'static str = "Act on the first arg key of the input";
    const IMPACT: Impact = Impact::Read;
    type Input = FirstArg;
    type Output = Acted;

    fn call(i: FirstArg) -> Result<Acted, ToolError> {
        Ok(Acted { acted_on: i.arg })
    }
}

/// Input of `random-bytes`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Count {
    /// How many bytes to ask for in one request.
    pub n: usize,
}

/// Asks for `n` random bytes at once.
#[derive(Debug)]
pub struct RandomBytes;

impl Tool for RandomBytes {
    const NAME: &'static str = "random-bytes";
    const DESCRIPTION: &'static str = "Ask for n random bytes in one request";
    const IMPACT: Impact = Impact::Read;
    type Input = Count;
    type Output = usize;

    fn call(i: Count) -> Result<usize, ToolError> {
        // `wasi:random/random.get-random-bytes` directly: one request.
        Ok(wasip2::random::random::get_random_bytes(i.n as u64).len())
    }
}
