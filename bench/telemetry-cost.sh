#!/usr/bin/env bash
# What telemetry costs per delivered chunk: two Arena processes side by side in one run, one with telemetry on and its
# /metrics scraped every second, one with Arena:Telemetry:Enabled=false; the same bench runs alternate between them and
# the server CPU (utime + stime from /proc) is divided by the chunks delivered. Needs a token in ARENA_TOKEN
# (bench/README.md) and PostgreSQL (scripts/postgres.sh). Usage: bench/telemetry-cost.sh [rounds] [streams] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"; streams="${2:-200}"; concurrency="${3:-25}"
source scripts/postgres.sh
dotnet build src/Host -c Release -v quiet -nologo >/dev/null
dotnet build bench/Arena.Bench -c Release -v quiet -nologo >/dev/null
host_dir="src/Host/bin/Release/net10.0"

start() { # name port telemetry
  local db="arena_bench_$1"
  (cd / && runuser -u postgres -- psql -qtA -c "drop database if exists $db" -c "create database $db owner arena") >/dev/null
  (cd "$host_dir" && ConnectionStrings__Arena="Host=127.0.0.1;Username=arena;Password=arena;Database=$db;Maximum Pool Size=20" \
    ASPNETCORE_ENVIRONMENT=Development Urls="http://127.0.0.1:$2" Arena__Gateway__AllowOverrideHeader=true \
    Arena__Telemetry__Enabled="$3" Logging__LogLevel__Default=Warning exec dotnet Arena.Host.dll >"/tmp/arena-bench-$1.log" 2>&1) &
  echo $!
}
on_pid=$(start on 18501 true); off_pid=$(start off 18502 false)
trap 'kill $on_pid $off_pid $scraper 2>/dev/null' EXIT
for port in 18501 18502; do
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 1; done
done
(while true; do curl -fs -o /dev/null http://127.0.0.1:18501/metrics; sleep 1; done) & scraper=$!

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
chunks() { # the mock replies' chunks in one bench run: compare mode, two participants of 12 chunks
  echo $(( $1 * 2 * 12 )); }
declare -A ticks=([on]=0 [off]=0) delivered=([on]=0 [off]=0)
for round in $(seq 1 "$rounds"); do
  for side in on off; do
    pid=$([ "$side" = on ] && echo "$on_pid" || echo "$off_pid"); port=$([ "$side" = on ] && echo 18501 || echo 18502)
    server=$(pgrep -P "$pid" -f Arena.Host.dll || echo "$pid")
    before=$(cpu "$server")
    out=$(dotnet bench/Arena.Bench/bin/Release/net10.0/Arena.Bench.dll --url "http://127.0.0.1:$port" --pipeline streaming \
      --streams "$streams" --concurrency "$concurrency")
    after=$(cpu "$server")
    ok=$(echo "$out" | sed -nE 's/.*completed=([0-9]+).*/\1/p')
    ticks[$side]=$(( ${ticks[$side]} + after - before )); delivered[$side]=$(( ${delivered[$side]} + $(chunks "$ok") ))
    echo "round $round telemetry=$side: $(echo "$out" | sed -n 2p), server cpu $(( (after - before) * 10 )) ms"
  done
done
hz=$(getconf CLK_TCK)
for side in on off; do
  awk -v t="${ticks[$side]}" -v c="${delivered[$side]}" -v hz="$hz" -v s="$side" \
    'BEGIN { printf "telemetry=%s: %d chunks, server cpu %.2f s, %.1f us cpu per chunk\n", s, c, t / hz, t / hz * 1e6 / c }'
done
