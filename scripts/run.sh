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
if [ "$ASPNETCORE_ENVIRONMENT" = Development ]; then
  # .NET watches user secrets only in a directory that exists when the Host starts. Made here, the key that the first
  # `dotnet user-jwts create` writes while Arena runs is trusted at once, without a restart.
  secrets_id=$(sed -n 's:.*<UserSecretsId>\(.*\)</UserSecretsId>.*:\1:p' src/Host/Arena.Host.csproj)
  mkdir -p "$HOME/.microsoft/usersecrets/$secrets_id"
fi
exec dotnet run --project src/Host --launch-profile http "$@"
