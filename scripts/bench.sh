#!/usr/bin/env bash
# Speed benchmark: prints figures, asserts nothing (timings belong here, not in tests).
#
#  1. A full `golive check` against a standalone simulator that delays every response
#     by LATENCY (default 200ms): the run's wall time beside the sum of its checks'
#     durations and its slowest check. Checks run concurrently and share one login and
#     one wallet fetch, so the wall time should stay close to the slowest check
#     (target: within 1.3x).
#  2. `golive validate` of the repository's checks.toml, RUNS times (target: < 20 ms).
#
# Usage: scripts/bench.sh [RUNS]   (env: LATENCY=200ms)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
LATENCY=${LATENCY:-200ms}

cargo build --release --quiet
BIN=target/release/golive
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$BIN" sim --listen 127.0.0.1:0 --latency "$LATENCY" > "$work/sim.txt" 2>/dev/null &
sim_pid=$!
for _ in $(seq 1 100); do grep -q 'api_secret' "$work/sim.txt" 2>/dev/null && break; sleep 0.05; done
url=$(awk '/^ *base_url / {print $2; exit}' "$work/sim.txt")
export BENCH_API_KEY=$(awk '/^ *api_key / {print $2; exit}' "$work/sim.txt")
export BENCH_API_SECRET=$(awk '/^ *api_secret / {print $2; exit}' "$work/sim.txt")

cat > "$work/bench.toml" <<TOML
version = 1
default_env = "bench"

[env.bench]
tier = "sandbox"
base_url = "$url"
api_key = { env = "BENCH_API_KEY" }
api_secret = { env = "BENCH_API_SECRET" }

[[check]]
id = "credentials"
kind = "credentials"

[[check]]
id = "wallet-usd"
kind = "wallet"
currency = "USD"
min_balance = 1000.0
warn_balance = 5000.0
daily_spend = 1500.0

[[check]]
id = "wallet-eur"
kind = "wallet"
currency = "EUR"
min_balance = 500.0

[[check]]
id = "wallet-gbp"
kind = "wallet"
currency = "GBP"
severity = "info"
TOML

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "golive check against the simulator, ${LATENCY} per response (5 runs)"
for i in 1 2 3 4 5; do
  t0=$(now_ms)
  "$BIN" check -m "$work/bench.toml" --format json > "$work/report.json" || true
  t1=$(now_ms)
  python3 - "$work/report.json" "$((t1 - t0))" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
wall = int(sys.argv[2])
durations = [c["duration_ms"] for c in report["checks"]]
slowest = max(durations)
print(f"  wall {wall:5d} ms (in-process {report['duration_ms']} ms) | sum of checks {sum(durations):5d} ms | "
      f"slowest check {slowest:4d} ms | wall/slowest {wall / slowest:.2f}x | verdict {report['verdict']}")
PY
done

echo "golive validate checks.toml ($RUNS runs)"
python3 - "$BIN" "$RUNS" <<'PY'
import statistics, subprocess, sys, time
binary, runs = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run([binary, "validate", "-m", "checks.toml"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t0) * 1000)
print(f"  median {statistics.median(times):.1f} ms | min {min(times):.1f} ms | max {max(times):.1f} ms")
PY

# 3. `golive watch` of the demo manifest: CPU and memory over WATCH_SECONDS (default
#    60) at --interval 1s (targets: well under 30 MB RSS), then CPU while idle
#    between runs at --interval 1h (target: near 0%).
WATCH_SECONDS=${WATCH_SECONDS:-60}
watch_cost() { # watch_cost INTERVAL SECONDS LABEL
  "$BIN" watch -m checks.toml --interval "$1" --listen 127.0.0.1:0 2>/dev/null &
  local pid=$! hz ticks0 ticks1 rss max_rss=0
  hz=$(getconf CLK_TCK)
  sleep 2   # the first run
  ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  for _ in $(seq 1 "$2"); do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
    sleep 1
  done
  ticks1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$((ticks1 - ticks0))" "$hz" "$2" "$max_rss" "$3" <<'PY'
import sys
ticks, hz, seconds, rss_kb = (float(a) for a in sys.argv[1:5])
print(f"  {sys.argv[5]}: CPU {100 * ticks / hz / seconds:.2f}% of one core | max RSS {rss_kb / 1024:.1f} MB")
PY
}
echo "golive watch of checks.toml (the demo)"
watch_cost 1s "$WATCH_SECONDS" "--interval 1s for ${WATCH_SECONDS}s"
watch_cost 1h 10 "idle between runs (--interval 1h), 10s"
