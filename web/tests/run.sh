#!/usr/bin/env bash
# Runs the UI's tests: `run.sh unit` (pure functions, dashboard JSON) or `run.sh ui` (browser).
# Without a prerequisite (node, npm ci'd node_modules, and for `ui` the built UI, Chromium, the
# vigil binary and node_exporter — the last two not when VIGIL_UI_URL names a server to test)
# it skips with exit code 77 — except under CI, where scripts/install-deps and scripts/build
# provide them all and a missing one is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-ui}
missing=""
command -v node >/dev/null 2>&1 || missing="node"
[ -d node_modules/vite ] || missing="$missing node_modules (npm ci)"
if [ "$what" = ui ]; then
  [ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || missing="$missing chromium"
  [ -f dist/index.html ] || missing="$missing web/dist (npm run build)"
  if [ -z "${VIGIL_UI_URL:-}" ]; then
    [ -x "${VIGIL_BIN:-../build/bin/vigil}" ] || missing="$missing ${VIGIL_BIN:-build/bin/vigil}"
    command -v prometheus-node-exporter >/dev/null 2>&1 || missing="$missing prometheus-node-exporter"
  fi
fi
if [ -n "$missing" ]; then
  echo "web $what tests: missing$missing (scripts/install-deps and scripts/build provide them)"
  if [ -n "${CI:-}" ]; then exit 1; fi
  exit 77
fi
if [ "$what" = unit ]; then
  exec npm run --silent test:unit
fi
exec node --test --test-concurrency=1 --test-reporter=spec tests/
