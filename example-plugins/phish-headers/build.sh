#!/bin/sh
# Build build/phish-headers.wasm from app.py and the repository's Python SDK
# with componentize-py (COMPONENTIZE_PY, or installed into .venv from PyPI).
set -eu
cd "$(dirname "$0")"
CPY=${COMPONENTIZE_PY:-}
if [ -z "$CPY" ]; then
  if [ ! -x .venv/bin/componentize-py ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'componentize-py==0.25.1'
  fi
  CPY=.venv/bin/componentize-py
fi
mkdir -p build
"$CPY" -d ../../plugin-sdk/wit -w plugin-http componentize -p . -p ../../plugin-sdk/python app -o build/phish-headers.wasm
