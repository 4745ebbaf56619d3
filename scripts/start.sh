#!/usr/bin/env bash
# Vigil's main job on embedded defaults (npm start): the example catalog, an embedded PostgreSQL
# and a redis-server of its own under ./.vigil, all workers, until Ctrl-C. Extra arguments go to
# `vigil up` (e.g. npm start -- --once).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_NEED_SERVICES=0 bash scripts/ensure-services.sh
npm run -s build
exec node bin/vigil.js up catalog "$@"
