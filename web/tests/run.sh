#!/usr/bin/env bash
# Runs the UI's browser tests (node's test runner). Without a prerequisite (node, npm ci'd
# node_modules, the built UI, Chromium) it skips with exit code 77 — except under CI, where
# scripts/install-deps and scripts/build provide them all and a missing one is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
missing=""
command -v node >/dev/null 2>&1 || missing="node"
[ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || missing="$missing chromium"
[ -d node_modules/playwright-core ] || missing="$missing node_modules (npm ci)"
[ -f dist/index.html ] || missing="$missing web/dist (npm run build)"
command -v prometheus >/dev/null 2>&1 || missing="$missing prometheus"
if [ -n "$missing" ]; then
  echo "web UI tests: missing$missing (scripts/install-deps and scripts/build provide them)"
  if [ -n "${CI:-}" ]; then exit 1; fi
  exit 77
fi
exec node --test --test-concurrency=1 --test-reporter=spec tests/
