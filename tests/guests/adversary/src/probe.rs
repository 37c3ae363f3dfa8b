//! Tools that probe capabilities: files, environment, secrets, clock and
//! randomness. The host's tests grant or withhold each one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use warrant_sdk::{Impact, Tool, ToolError};

/// A file operation to try.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FsInput {
    /// `read`, `write`, `append`, `create`, `truncate`, `rename`, `link`,
    /// `remove`, `mkdir` or `list`.
    pub op: String,
    /// The path operated on.
    pub path: String,
    /// A second path (rename/link target) or the data to write.
    #[serde(default)]
    pub arg: String,
}

/// Try one file operation and report the result or the error.
#[derive(Debug)]
pub struct Fs;

impl Tool for Fs {
    const NAME: &'static str = "fs";
    const DESCRIPTION: &'static str = "Try a file operation";
    const IMPACT: Impact = Impact::Write;
    type Input = FsInput;
    type Output = String;

    fn call(i: FsInput) -> Result<String, ToolError> {
        use std::fs;
        let p = &i.path;
        let r: std::io::Result<String> = match i.op.as_str() {
            "read" => fs::read_to_string(p),
            "write" => fs::write(p, &i.arg).map(|()| "written".into()),
            "append" => {
                use std::io::Write;
                fs::OpenOptions::new()
                    .append(true)
                    .open(p)
                    .and_then(|mut f| f.write_all(i.arg.as_bytes()))
                    .map(|()| "appended".into())
            }
            "create" => fs::File::create_new(p).map(|_| "created".into()),
            "truncate" => fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(p)
                .map(|_| "truncated".into()),
            "rename" => fs::rename(p, &i.arg).map(|()| "renamed".into()),
            "link" => fs::hard_link(p, &i.arg).map(|()| "linked".into()),
            "remove" => fs::remove_file(p).map(|()| "removed".into()),
            "mkdir" => fs::create_dir(p).map(|()| "made".into()),
            "list" => fs::read_dir(p).map(|d| {
                let mut names: Vec<String> = d
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names.join(",")
            }),
            other => return Err(ToolError::invalid_input(format!("unknown op {other}"))),
        };
        r.map_err(|e| ToolError::failed(format!("{}: {e}", i.op)))
    }
}

/// Empty input.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Nothing {}

/// Report the whole environment.
#[derive(Debug)]
pub struct Env;

impl Tool for Env {
    const NAME: &'static str = "env";
    const DESCRIPTION: &'static str = "Dump the environment and arguments";
    const IMPACT: Impact = Impact::Read;
    type Input = Nothing;
    type Output = (Vec<(String, String)>, Vec<String>);

    fn call(_: Nothing) -> Result<Self::Output, ToolError> {
        Ok((std::env::vars().collect(), std::env::args().collect()))
    }
}

/// Input of `secret`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Named {
    /// The secret's name.
    pub name: String,
}

/// Read a secret through the host API.
#[derive(Debug)]
pub struct Secret;

impl Tool for Secret {
    const NAME: &'static str = "secret";
    const DESCRIPTION: &'static str = "Read a secret";
    const IMPACT: Impact = Impact::Read;
    type Input = Named;
    type Output = String;

    fn call(i: Named) -> Result<String, ToolError> {
        warrant_sdk::secret(&i.name)
    }
}

/// What the ambient clock and randomness look like from inside.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AmbientOut {
    /// Seconds since the epoch on the wall clock.
    pub wall_secs: u64,
    /// Nanoseconds a short busy loop took on the monotonic clock.
    pub mono_nanos: u128,
    /// Sixteen bytes from the secure random source, hex.
    pub random: String,
    /// Preopened directories the guest can list at `/`.
    pub root_listing: Option<String>,
}

/// Report the clock, randomness and filesystem root.
#[derive(Debug)]
pub struct Ambient;

impl Tool for Ambient {
    const NAME: &'static str = "ambient";
    const DESCRIPTION: &'static str = "Report clocks, randomness and the filesystem root";
    const IMPACT: Impact = Impact::Read;
    type Input = Nothing;
    type Output = AmbientOut;

    fn call(_: Nothing) -> Result<AmbientOut, ToolError> {
        let wall_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let start = std::time::Instant::now();
        let mut x = 0u64;
        for i in 0..200_000u64 {
            x = std::hint::black_box(x ^ i);
        }
        let mono_nanos = start.elapsed().as_nanos();
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| ToolError::failed(e.to_string()))?;
        let random = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let root_listing = std::fs::read_dir("/").ok().map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",")
        });
        Ok(AmbientOut {
            wall_secs,
            mono_nanos,
            random,
            root_listing,
        })
    }
}
