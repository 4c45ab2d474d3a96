#!/usr/bin/env bash
# Makes a local PostgreSQL answer on 127.0.0.1 with a role and database named "arena" (password "arena"),
# installing it from Debian's packages first if it is missing. Safe to run again; meant to be sourced or run.
# Exports ARENA_POSTGRES_ADMIN: a connection string to the "postgres" database as the arena role (which may create databases).
set -euo pipefail

pg_port="${ARENA_PG_PORT:-5432}"

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "postgres.sh: installing PostgreSQL from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi

pg_version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  pg_createcluster --port "$pg_port" "$pg_version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" && $4 == "online" { found = 1 } END { exit !found }'; then
  pg_ctlcluster "$pg_version" main start
fi
cluster_port="$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" { print $3 }')"

for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$cluster_port" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$cluster_port" || { echo "postgres.sh: PostgreSQL did not start; see /var/log/postgresql/" >&2; exit 1; }

# From /, so that psql as postgres does not warn about a working directory it may not enter.
as_postgres() { (cd / && runuser -u postgres -- psql -p "$cluster_port" -v ON_ERROR_STOP=1 -qtA "$@"); }
# Debian's default of 100 connections is tight for the test suite, which runs test classes in parallel, each with its
# own Host and pool, and some with several Hosts. Raised once (a restart), on a cluster these scripts manage.
if [ "$(as_postgres -c "show max_connections")" -lt 300 ]; then
  as_postgres -c "alter system set max_connections = 300"
  pg_ctlcluster "$pg_version" main restart
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$cluster_port" && break
    sleep 1
  done
fi
if [ "$(as_postgres -c "select 1 from pg_roles where rolname = 'arena'")" != "1" ]; then
  as_postgres -c "create role arena login createdb password 'arena'"
fi
if [ "$(as_postgres -c "select 1 from pg_database where datname = 'arena'")" != "1" ]; then
  as_postgres -c "create database arena owner arena"
fi

# SSL Mode=Disable: the server is on this machine and the bytes never leave the loopback, so TLS (which Debian's cluster
# offers with a self-signed certificate that nothing verifies) would only cost CPU on both sides of every statement:
# about 0.2 ms of PostgreSQL per compare stream and 2–10% of Arena's CPU per event in the bench (the commit that set it).
# A database on another host is a deployment's own connection string, with TLS.
export ARENA_POSTGRES_ADMIN="Host=127.0.0.1;Port=${cluster_port};Username=arena;Password=arena;Database=postgres;SSL Mode=Disable"
# A pool well under the server's max_connections (300, set above): past it requests wait for a connection instead of failing.
# Max Auto Prepare: the hot statements (a fixed handful) are prepared once per connection instead of parsed per call.
export ARENA_POSTGRES_APP="Host=127.0.0.1;Port=${cluster_port};Username=arena;Password=arena;Database=arena;Maximum Pool Size=40;Max Auto Prepare=32;SSL Mode=Disable"
echo "postgres.sh: PostgreSQL ${pg_version} is up on 127.0.0.1:${cluster_port} (database arena)" >&2
