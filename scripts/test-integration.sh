#!/usr/bin/env bash
# Integration tests (mocha, real vscode API) in a real extension host: code-server by default;
# through @vscode/test-electron too when VSCODE_EXECUTABLE points at a desktop VS Code.
set -euo pipefail
cd "$(dirname "$0")/.."
ws="$(mktemp -d)"
trap 'rm -rf "$ws"' EXIT
cp samples/st-r1-demo-run.jsonl "$ws/"
node test/harness/vscode-host.mjs test --extension "$PWD" --tests "$PWD/out/test/integration/index.js" --workspace "$ws" --timeout 300000
if [ -n "${VSCODE_EXECUTABLE:-}" ]; then
  node test/electron/run.cjs
else
  echo "desktop VS Code: not run (no VSCODE_EXECUTABLE; none can be installed offline on this machine)"
fi
