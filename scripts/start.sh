#!/usr/bin/env bash
# npm start: open VS Code with this extension and a sample results file loaded in the ST-Think view.
# A desktop VS Code (`code` on PATH) when there is one; else the code-server this project installs,
# served on http://127.0.0.1:${PORT:-8080}/ (open it in a browser).
set -euo pipefail
cd "$(dirname "$0")/.."
# package.json's allowScripts skips onnxruntime-node's CUDA download (npm 11); the variable does it for older npm.
[ -d node_modules ] || ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm ci --no-audit --no-fund
npm run build
ws="$PWD/.tools/demo-workspace"
mkdir -p "$ws/.vscode"
cp samples/st-r1-demo-run.jsonl "$ws/"
# Route questions (upstream's route-QA inference output) with judgments written by hand for the demo:
# the tree shows their judge totals, the trace view the routes' diff and the judge's reply; a second
# hand-written judge (second-judge-demo) gives Judge Agreement… something to compare.
cp samples/route-qa-demo.json samples/route-qa-demo.judgments.jsonl "$ws/"
cat > "$ws/.vscode/settings.json" <<'JSON'
{
  "stThink.autoOpen": ["st-r1-demo-run.jsonl", "route-qa-demo.json"],
  "workbench.startupEditor": "none"
}
JSON
if command -v code >/dev/null 2>&1 && [ -z "${ST_THINK_USE_CODE_SERVER:-}" ]; then
  exec code --extensionDevelopmentPath="$PWD" "$ws"
fi
bash scripts/install-test-deps.sh
exec node test/harness/vscode-host.mjs open --extension "$PWD" --workspace "$ws" --port "${PORT:-8080}"
