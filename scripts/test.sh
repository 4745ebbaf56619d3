#!/usr/bin/env bash
# The test command (npm test): installs what is missing, then typecheck, lint and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx vitest run "$@"
