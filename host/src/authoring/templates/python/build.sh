#!/bin/sh
# Build build/{{id}}.wasm with componentize-py (installed into .venv from
# PyPI on first use; COMPONENTIZE_PY names another one). The component is
# built against the `plugin-http` world only when manifest.toml grants an
# origin: a host refuses a component that imports wasi:http without one.
set -eu
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
CPY=${COMPONENTIZE_PY:-}
if [ -z "$CPY" ]; then
  if [ ! -x .venv/bin/componentize-py ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'componentize-py=={{componentize_py}}'
  fi
  CPY=.venv/bin/componentize-py
fi
WORLD=$("$PYTHON" -c 'import tomllib; g = tomllib.load(open("manifest.toml", "rb")).get("grants", {}); print("plugin-http" if g.get("http") else "plugin")')
mkdir -p build
"$CPY" -d wit -w "$WORLD" componentize app -o build/{{id}}.wasm
