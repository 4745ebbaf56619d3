#!/usr/bin/env bash
# Builds native/ (the watermark kernel) with node-gyp, offline: against the headers of the Node that
# runs us when they are installed (Debian's /usr/include/node), else wherever npm's nodedir points.
set -euo pipefail
cd "$(dirname "$0")/.."
args=(rebuild --directory native -j 2 --loglevel=warn)
prefix="$(dirname "$(dirname "$(command -v node)")")"
for dir in "${npm_config_nodedir:-}" /usr "$prefix"; do
  if [ -n "$dir" ] && [ -f "$dir/include/node/node.h" ]; then args+=("--nodedir=$dir"); break; fi
done
exec npx --no-install node-gyp "${args[@]}"
