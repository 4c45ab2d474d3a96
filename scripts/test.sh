#!/usr/bin/env bash
# Runs the whole test suite. Where a Docker engine answers, the tests start PostgreSQL with Testcontainers;
# otherwise this installs and starts a local PostgreSQL and hands its connection string to the tests. It also starts a
# throw-away Prometheus (scripts/prometheus.sh) for the dashboard tests; where it cannot be installed they are skipped.
# The browser tests drive Debian's Chromium and Firefox ESR (installed here when missing) and need the web page's npm libraries
# (scripts/web-assets.sh); their screenshots go to TestResults/browser-screenshots unless ARENA_SCREENSHOTS says otherwise.
# The client tests run npm's clients and tools from tests/clients, installed here as its package-lock.json pins them.
# Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || missing+=(firefox-esr)
if [ "${#missing[@]}" -gt 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
./scripts/web-assets.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
# As in web-assets.sh: npm ci writes node_modules/.package-lock.json, and a lock file newer than it means the pins changed.
clients=tests/clients
if [ ! -f "$clients/node_modules/.package-lock.json" ] || [ "$clients/package-lock.json" -nt "$clients/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$clients" --no-audit --no-fund --loglevel=error >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
export ARENA_SCREENSHOTS="${ARENA_SCREENSHOTS:-$PWD/TestResults/browser-screenshots}"

if [ -z "${ARENA_TEST_POSTGRES:-}" ] && ! docker info >/dev/null 2>&1; then
  source scripts/postgres.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  export ARENA_TEST_POSTGRES="$ARENA_POSTGRES_ADMIN"
fi
if [ -z "${ARENA_TEST_PROMETHEUS_URL:-}" ]; then
  if source scripts/prometheus.sh; then
    trap 'kill "$ARENA_TEST_PROMETHEUS_PID" 2>/dev/null' EXIT
  else
    echo "test.sh: no Prometheus; the dashboard tests will be skipped" >&2
  fi
fi
set +e

log="$(mktemp)"
# `dotnet test` alone builds only test projects and what they reference; building the solution first also compiles
# the benchmarks that no test runs, so a broken one fails CI rather than the next person's bench run.
dotnet build Arena.sln --configuration Release -nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
  dotnet test Arena.sln --configuration Release --no-build "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
fi

# One summary line per test assembly, e.g. "Passed!  - Failed:     0, Passed:    42, Skipped:     1, Total: ...".
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- Failed: ' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' |
  awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }')
rm -f "$log"
[ -d "$ARENA_SCREENSHOTS" ] && echo "Browser screenshots: $ARENA_SCREENSHOTS"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build or the test host failed before any test could report
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
