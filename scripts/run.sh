#!/usr/bin/env bash
# Runs Arena on http://localhost:8001 (development settings), the web page at /. Without ConnectionStrings__Arena it
# installs, starts and prepares a local PostgreSQL first.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/web-assets.sh

if [ -z "${ConnectionStrings__Arena:-}" ]; then
  source scripts/postgres.sh
  export ConnectionStrings__Arena="$ARENA_POSTGRES_APP"
fi
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
exec dotnet run --project src/Host --launch-profile http "$@"
