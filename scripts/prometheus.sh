#!/usr/bin/env bash
# Starts a throw-away Prometheus on a free loopback port for the telemetry tests, installing Debian's `prometheus`
# package first if it is missing. It scrapes every second whatever targets the tests write as file_sd JSON into
# $ARENA_TEST_PROMETHEUS_TARGETS, and loads the repository's alerting rules (deploy/prometheus/rules.yml).
# Meant to be sourced; exports ARENA_TEST_PROMETHEUS_URL, ARENA_TEST_PROMETHEUS_TARGETS, ARENA_TEST_PROMETHEUS_PID and
# ARENA_TEST_PROMTOOL. Stop it with: kill "$ARENA_TEST_PROMETHEUS_PID".
set -euo pipefail

if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  echo "prometheus.sh: installing Prometheus from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Not the package's own service: the tests start their own instance below.
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d -t arena-prometheus.XXXXXX)"
mkdir -p "$work/targets" "$work/data"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${repo}/deploy/prometheus/rules.yml
scrape_configs:
  - job_name: arena
    file_sd_configs:
      - files: ["${work}/targets/*.json"]
        refresh_interval: 1s
YAML

prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:${port}" --log.level=warn >"$work/prometheus.log" 2>&1 &
pid=$!

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:${port}/-/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if ! curl -fsS "http://127.0.0.1:${port}/-/ready" >/dev/null 2>&1; then
  echo "prometheus.sh: Prometheus did not start; see $work/prometheus.log" >&2
  kill "$pid" 2>/dev/null || true
  return 1 2>/dev/null || exit 1
fi

export ARENA_TEST_PROMETHEUS_URL="http://127.0.0.1:${port}"
export ARENA_TEST_PROMETHEUS_TARGETS="$work/targets"
export ARENA_TEST_PROMETHEUS_PID="$pid"
export ARENA_TEST_PROMTOOL="$(command -v promtool)"
echo "prometheus.sh: Prometheus $(prometheus --version 2>&1 | awk 'NR == 1 { print $3 }') is up on ${ARENA_TEST_PROMETHEUS_URL}" >&2
