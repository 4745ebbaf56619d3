#!/usr/bin/env bash
# The test command (npm test): installs what is missing, then typecheck, lint and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
mkdir -p .vigil
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.vigil/vitest-report.json "$@" || status=$?
# One plain closing line that any CI can read: "vitest: N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(".vigil/vitest-report.json", "utf8"));
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
