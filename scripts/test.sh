#!/usr/bin/env bash
# Runs ESLint and every test suite: the applet's unit tests on jCardSim (JUnit, in-process) and the
# harness tests (Jest), which include the end-to-end runs over the direct simulator link
# and through pcscd + vpcd. Prints one summary line summed over all suites:
#   N passed, N failed[, N skipped]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_system_packages || log "continuing without some system packages; dependent tests will be skipped"
ensure_optional_packages
ensure_node_modules || exit 1
ensure_pcscd || log "pcscd unavailable: the pcsc-transport tests will be skipped"
ensure_postgres || log "PostgreSQL unavailable: the services suites run on SQLite only (each says so)"

mkdir -p build/test-results
rm -rf dist
log "building the harness (tsc)"
npm run -s build || { echo "0 passed, 1 failed"; exit 1; }

log "lint: ESLint with typescript-eslint (strict, type-aware) over harness/, and Prettier's check"
lint_status=0
npx eslint harness || lint_status=$?
npx prettier --check --log-level warn "harness/**/*.ts" || lint_status=$?

log "Java: applet unit tests on jCardSim, simulator jar"
java_status=0
ant -q simulator test || java_status=$?

log "harness tests (jest)"
js_status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile=build/test-results/jest.json "$@" || js_status=$?

# Sum the JUnit XML reports and Jest's JSON into one line.
node scripts/summarise-tests.mjs build/test-reports build/test-results/jest.json
summary_status=$?
if [ $lint_status -ne 0 ]; then
  log "ESLint or Prettier found problems (see above): npx eslint harness; npx prettier --write 'harness/**/*.ts'"
fi
if [ $lint_status -ne 0 ] || [ $java_status -ne 0 ] || [ $js_status -ne 0 ] || [ $summary_status -ne 0 ]; then
  exit 1
fi
