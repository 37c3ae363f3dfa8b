//! A hostile plugin for the host's tests. Each tool misbehaves in one way or
//! probes one capability; none of this belongs in a real plugin.

mod dup;
mod probe;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use warrant_sdk::{Impact, Tool, ToolError};

/// Input of the misbehaving tools.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Size {
    /// How much: bytes, depth or iterations, depending on the tool.
    #[serde(default)]
    pub n: u64,
}

/// Loops forever.
#[derive(Debug)]
pub struct Spin;

impl Tool for Spin {
    const NAME: &'static str = "spin";
    const DESCRIPTION: &'static str = "Loop forever";
    const IMPACT: Impact = Impact::Read;
    type Input = Size;
    type Output = u64;

    fn call(_: Size) -> Result<u64, ToolError> {
        let mut x: u64 = 0;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

/// Allocates `n` MiB (or forever when `n` is 0), touching every page.
#[derive(Debug)]
pub struct Grow;

impl Tool for Grow {
    const NAME: &'static str = "grow";
    const DESCRIPTION: &'static str = "Allocate memory without bound";
    const IMPACT: Impact = Impact::Read;
    type Input = Size;
    type Output = usize;

    fn call(input: Size) -> Result<usize, ToolError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        let mut i = 0;
        while input.n == 0 || i < input.n {
            hoard.push(vec![0xab; 1 << 20]);
            i += 1;
        }
        Ok(std::hint::black_box(hoard).len())
    }
}

/// Returns an output of `n` bytes.
#[derive(Debug)]
pub struct BigOutput;

impl Tool for BigOutput {
    const NAME: &'static str = "big-output";
    const DESCRIPTION: &'static str = "Return n bytes of output";
    const IMPACT: Impact = Impact::Read;
    type Input = Size;
    type Output = String;

    fn call(input: Size) -> Result<String, ToolError> {
        Ok("x".repeat(usize::try_from(input.n).unwrap_or(usize::MAX)))
    }
}

/// Recurses `n` levels deep (or without end when 0).
#[derive(Debug)]
pub struct Recurse;

fn down(depth: u64, max: u64) -> u64 {
    let pad = std::hint::black_box([depth; 16]);
    if max != 0 && depth >= max {
        return pad[3];
    }
    down(depth + 1, max) + pad[7]
}

impl Tool for Recurse {
    const NAME: &'static str = "recurse";
    const DESCRIPTION: &'static str = "Recurse deeply";
    const IMPACT: Impact = Impact::Read;
    type Input = Size;
    type Output = u64;

    fn call(input: Size) -> Result<u64, ToolError> {
        Ok(down(0, input.n))
    }
}

/// Panics with a message.
#[derive(Debug)]
pub struct Panic;

impl Tool for Panic {
    const NAME: &'static str = "panic";
    const DESCRIPTION: &'static str = "Panic <img src=x onerror=alert(1)> on purpose";
    const IMPACT: Impact = Impact::Read;
    type Input = Size;
    type Output = u64;

    fn call(_: Size) -> Result<u64, ToolError> {
        panic!("adversary panicked on purpose")
    }
}

/// Echoes its input and counts calls in a static, to show that no state
/// survives from one call to the next.
#[derive(Debug)]
pub struct Echo;

static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Output of `echo`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Echoed {
    /// The input text.
    pub text: String,
    /// Calls this instance has seen (always 1 with a fresh instance per call).
    pub calls: u64,
}

/// Input of `echo`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct EchoInput {
    /// Text to echo.
    pub text: String,
}

impl Tool for Echo {
    const NAME: &'static str = "echo";
    const DESCRIPTION: &'static str = "Echo the input";
    const IMPACT: Impact = Impact::Read;
    type Input = EchoInput;
    type Output = Echoed;

    fn call(input: EchoInput) -> Result<Echoed, ToolError> {
        let calls = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        println!("echo called");
        Ok(Echoed {
            text: input.text,
            calls,
        })
    }
}

warrant_sdk::export_plugin!(
    Spin,
    Grow,
    BigOutput,
    Recurse,
    Panic,
    Echo,
    probe::Fs,
    probe::Env,
    probe::Secret,
    probe::Ambient,
    dup::First,
    dup::RandomBytes,
    Mislabel
);

/// What `mislabelled` says it returns (its schema), and what it returns.
#[derive(Debug, Serialize)]
pub struct Mislabelled {
    /// Not the `verdict` the schema promises.
    pub note: u64,
}

impl JsonSchema for Mislabelled {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Verdict".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {"verdict": {"type": "string"}},
            "required": ["verdict"]
        })
    }
}

/// Returns an output its declared schema does not allow.
#[derive(Debug)]
pub struct Mislabel;

impl Tool for Mislabel {
    const NAME: &'static str = "mislabelled";
    const DESCRIPTION: &'static str =
        "Return an output that does not match the declared output schema";
    const IMPACT: Impact = Impact::Read;
    type Input = Size;
    type Output = Mislabelled;

    fn call(input: Size) -> Result<Mislabelled, ToolError> {
        Ok(Mislabelled { note: input.n })
    }
}
