#!/usr/bin/env bash
# Fuzz every parser of untrusted bytes for a minute each (FUZZ_SECONDS to
# change it), with cargo-fuzz (libFuzzer) on the nightly toolchain, which
# cargo-fuzz needs; both are installed here when missing. Seeds come from
# the golden tests and the examples. A crash is saved under artifacts/ and
# the script fails; turn it into a regression test. Name targets to run
# only those: tests/fuzz/run.sh mcp_message call_body
set -euo pipefail
cd "$(dirname "$0")"
secs="${FUZZ_SECONDS:-60}"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

seed() {
  local target="$1"; shift
  mkdir -p "seeds/$target" "corpus/$target"
  local n=0
  for f in "$@"; do
    if [ -f "$f" ]; then
      cp "$f" "seeds/$target/seed-$n"
      n=$((n + 1))
    fi
  done
}
root=../..
seed manifest "$root"/tests/golden/manifests/*.toml "$root"/manifests/*.toml
seed host_config "$root"/manifests/warrant.toml
seed task_token
seed audit_chain "$root"/tests/golden/audit/v5/*.jsonl
seed policy_input "$root"/tests/golden/manifests/*.json
seed workload_jwt
mkdir -p seeds/mcp_message seeds/call_body corpus/mcp_message corpus/call_body
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' > seeds/mcp_message/init
printf '%s' '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ioc-extract__extract","arguments":{"text":"198.51.100.77"}}}' > seeds/mcp_message/call
printf '%s' '[{"jsonrpc":"2.0","id":3,"method":"tools/list"}]' > seeds/mcp_message/batch
printf '%s' '{"input":{"case_id":"INC-2026-0042","note":"Blocked \u00e9 203.0.113.45","n":[1,2.5e3,-0]}}' > seeds/call_body/call
printf '%s' 'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL3cudGVzdCIsImF1ZCI6IndhcnJhbnQiLCJleHAiOjE4MDAwMDA2MDB9.c2ln' > seeds/workload_jwt/jwt
printf '%s' 'eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFZERTQSIsImtpZCI6Ind0ay0xIn0.eyJqdGkiOiJ0b2stMSJ9.c2ln' > seeds/task_token/token

status=0
all="manifest host_config task_token audit_chain mcp_message call_body policy_input workload_jwt"
for t in ${*:-$all}; do
  echo "== $t (${secs}s)"
  if ! cargo +nightly fuzz run --sanitizer none "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1; then
    if [ -n "$(ls -A "artifacts/$t" 2>/dev/null)" ]; then
      echo "FOUND: $t (see tests/fuzz/artifacts/$t)"
    else
      echo "FAILED: $t did not run (see the error above)"
    fi
    status=1
  fi
done
exit $status
