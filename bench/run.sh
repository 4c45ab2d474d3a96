#!/usr/bin/env bash
# The benchmark in one command: builds in Release, makes sure PostgreSQL is up (scripts/postgres.sh), then runs every
# scenario with a fresh fake upstream and a fresh server per point; prints the table and writes bench/results/report.json.
# Options are passed on (see bench/README.md), e.g. ./bench/run.sh --quick, or --sweep 100,250,500 --duration 10.
set -euo pipefail
cd "$(dirname "$0")/.."

# Thousands of open streams: each one is a socket in the harness, two or three in Arena and one in the fake upstream.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null || true

source scripts/postgres.sh
for project in src/Host bench/Arena.Bench.Upstream bench/Arena.Bench.Relay bench/Arena.Bench; do
  dotnet build "$project" -c Release -v quiet -nologo >/dev/null
done
exec dotnet bench/Arena.Bench/bin/Release/net10.0/Arena.Bench.dll all "$@"
