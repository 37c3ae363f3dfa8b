#!/bin/sh
# Build build/{{id}}.wasm. Needs Rust with the wasm32-wasip2 target
# (rustup target add wasm32-wasip2).
set -eu
cd "$(dirname "$0")"
cargo build --release --target wasm32-wasip2
mkdir -p build
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{{crate}}.wasm" build/{{id}}.wasm
echo "built build/{{id}}.wasm"
