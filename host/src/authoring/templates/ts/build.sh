#!/bin/sh
# Build build/{{id}}.wasm: npm install (jco, componentize-js; pinned in
# package.json) on first use, then node build.mjs.
set -eu
cd "$(dirname "$0")"
if [ -z "${JCO:-}" ] && [ ! -x node_modules/.bin/jco ]; then
  npm install --no-audit --no-fund --silent
fi
node build.mjs
