#!/bin/sh
# Build build/advisory-lookup.wasm from index.ts and the repository's JS SDK
# with jco + componentize-js (JCO, or npm install of package.json's pins).
set -eu
cd "$(dirname "$0")"
if [ -z "${JCO:-}" ] && [ ! -x node_modules/.bin/jco ]; then
  npm install --no-audit --no-fund --silent
fi
rm -rf warrant-sdk && cp -r ../../plugin-sdk/js warrant-sdk
mkdir -p build
"${JCO:-node_modules/.bin/jco}" componentize index.ts --wit ../../plugin-sdk/wit --world-name plugin-js -o build/advisory-lookup.wasm
