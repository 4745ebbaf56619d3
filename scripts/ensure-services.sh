#!/usr/bin/env bash
# Installs and starts what Vigil's tests and demo need on a Debian machine when it is missing:
# ffmpeg, redis-server, PostgreSQL, chromium (the crawler's headless-browser fallback and its test),
# and the npm packages. Safe to run again: it only acts on gaps.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[vigil setup] %s\n' "$*" >&2; }

APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null; then log "cannot install $* (no apt-get): install it by hand"; return 1; fi
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ "$APT_UPDATED" = 0 ]; then $sudo apt-get update -qq; APT_UPDATED=1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

command -v ffmpeg >/dev/null || apt_install ffmpeg
command -v redis-server >/dev/null || apt_install redis-server
command -v git >/dev/null || apt_install git
[ -x /usr/bin/chromium ] || apt_install chromium

need_services="${VIGIL_NEED_SERVICES:-1}"
if [ "$need_services" = 1 ]; then
  # Redis on the standard port, for the tests (TEST_REDIS_URL overrides).
  if [ -z "${TEST_REDIS_URL:-}" ] && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "starting redis-server on 127.0.0.1:6379"
    mkdir -p /tmp/vigil-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/vigil-redis --logfile /tmp/vigil-redis/redis.log
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  # PostgreSQL on the standard port with trust auth for local test databases (TEST_DATABASE_URL overrides).
  if [ -z "${TEST_DATABASE_URL:-}" ] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      apt_install postgresql
      version=$(ls /etc/postgresql | sort -V | tail -1)
      conf="/etc/postgresql/$version/main/pg_hba.conf"
      # Tests connect as postgres over 127.0.0.1 without a password: trust local connections only.
      sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$conf"
    fi
    version=$(ls /etc/postgresql | sort -V | tail -1)
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
    for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done
  fi
fi

# npm packages (and the native addon, built by the install script): install when missing or when
# the lockfile changed since the last install. `npm install` rather than `npm ci`: the registry may
# lack other platforms' optional builds that the lockfile names, which `npm ci` refuses.
if [ ! -d node_modules ] || [ ! -f native/build/Release/vigil_native.node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages and building the native addon"
  npm install --no-audit --no-fund --loglevel=error
fi
