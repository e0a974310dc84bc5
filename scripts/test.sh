#!/usr/bin/env bash
# npm test: every test. Unit tests in plain Node, then integration tests inside a real VS Code
# extension host (code-server, or a desktop VS Code when VSCODE_EXECUTABLE names one), then the UI
# check in Debian Chromium. Installs what it needs first (idempotent). Ends with one line
# "tests: N passed, N failed" over all three.
set -uo pipefail
cd "$(dirname "$0")/.."
logs="$(mktemp -d)"
fail() { echo "tests: ${passed:-0} passed, 1 failed (${1})"; exit 1; }

# package.json's allowScripts skips onnxruntime-node's CUDA download (npm 11); the variable does it for older npm.
[ -d node_modules ] || ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm ci --no-audit --no-fund || fail "npm ci"
bash scripts/install-test-deps.sh || fail "installing test dependencies"
npm run build || fail "build"
npm run compile-tests || fail "compiling tests"

echo "== unit tests (node --test)"
node --test out/test/unit/ 2>&1 | tee "$logs/unit.log"
unit_rc=${PIPESTATUS[0]}
unit_pass=$(grep -E '^# pass [0-9]+' "$logs/unit.log" | awk '{print $3}' | tail -1)
unit_fail=$(grep -E '^# fail [0-9]+' "$logs/unit.log" | awk '{print $3}' | tail -1)

echo "== integration tests (real VS Code extension host)"
bash scripts/test-integration.sh 2>&1 | tee "$logs/integration.log"
int_rc=${PIPESTATUS[0]}
int_pass=$(grep -oE '^ *[0-9]+ passing' "$logs/integration.log" | awk '{s+=$1} END {print s+0}')
int_fail=$(grep -oE '^ *[0-9]+ failing' "$logs/integration.log" | awk '{s+=$1} END {print s+0}')

echo "== UI check (Chromium)"
node test/ui/ui-check.mjs 2>&1 | tee "$logs/ui.log"
ui_rc=${PIPESTATUS[0]}
# The route judge's views (its own workspace: route records, a local chat-completions server).
node test/ui/judge-ui.mjs 2>&1 | tee -a "$logs/ui.log"
judge_ui_rc=${PIPESTATUS[0]}
[ "$judge_ui_rc" -ne 0 ] && [ "$ui_rc" -eq 0 ] && ui_rc=$judge_ui_rc
# The training views (a run folder from test/fixtures/training).
node test/ui/training-check.mjs 2>&1 | tee -a "$logs/ui.log"
[ "${PIPESTATUS[0]}" -ne 0 ] && ui_rc=1
# Re-runs through a served checkpoint (its own workspace; a local chat-completions server streaming as vLLM).
node test/ui/served-check.mjs 2>&1 | tee -a "$logs/ui.log"
[ "${PIPESTATUS[0]}" -ne 0 ] && ui_rc=1
# The charts in Chromium under the webviews' CSP, in dark, light and high-contrast colours.
node test/ui/charts-check.mjs 2>&1 | tee -a "$logs/ui.log"
[ "${PIPESTATUS[0]}" -ne 0 ] && ui_rc=1
ui_pass=$(grep -cE '^ok ' "$logs/ui.log")
ui_fail=$(grep -cE '^not ok ' "$logs/ui.log")

passed=$(( ${unit_pass:-0} + int_pass + ui_pass ))
failed=$(( ${unit_fail:-0} + int_fail + ui_fail ))
# A runner that crashed before reporting counts as a failure.
for rc in "$unit_rc" "$int_rc" "$ui_rc"; do [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1; done
unit_line="unit: ${unit_pass:-0} passed, ${unit_fail:-0} failed"
echo "$unit_line; integration: $int_pass passed, $int_fail failed; ui: $ui_pass passed, $ui_fail failed"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
