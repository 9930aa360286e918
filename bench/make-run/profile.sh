#!/usr/bin/env bash
# `make run` at its defaults (50 events/s, 5 s trigger, the lake once a minute), measured as a new user sees it:
# the JVM's CPU over the last MEASURE seconds (utime + stime from /proc/<pid>/stat) and each query's micro-batch
# durations (p50 / p99 / max, from the per-micro-batch log lines). Writes bench/results/<stamp>-make-run.md.
# Usage: bench/make-run/profile.sh [warm-up seconds, default 90] [measured seconds, default 300]
set -euo pipefail
cd "$(dirname "$0")/../.."
warmup=${1:-90}
measure=${2:-300}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
java $(cat app/target/jvm.options) -Xmx3g -Dlog4j2.configurationFile=bench/make-run/log4j2.properties \
  -cp 'local/target/classes:local/target/lib/*' dev.clickstream.local.LocalClickstream \
  --data-dir "$work/data" --port-kafka 19092 --port-postgres 15432 --port-metrics 0 > "$work/out.log" 2> "$work/err.log" &
pid=$!
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
sleep "$warmup"
t0=$(date +%s.%N); c0=$(ticks); from=$(date '+%Y-%m-%d %H:%M:%S')
sleep "$measure"
t1=$(date +%s.%N); c1=$(ticks)
cores=$(echo "($c1 - $c0) / $hz / ($t1 - $t0)" | bc -l)
stamp=$(date +%Y%m%d-%H%M%S)
out=bench/results/$stamp-make-run.md
{
  echo "make run at its defaults (50 events/s, TRIGGER_INTERVAL 5 s, LAKE_TRIGGER_INTERVAL 1 minute), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "Warm-up ${warmup} s, then ${measure} s measured from $from."
  echo
  printf '| figure | measured | target | met |\n|---|---:|---:|---|\n'
  met=$(echo "$cores <= 0.25" | bc -l)
  printf '| JVM CPU, mean over %s s (cores) | %.3f | <= 0.25 | %s |\n' "$measure" "$cores" "$([ "$met" = 1 ] && echo yes || echo '**no**')"
  for q in ingest lake analytics user-sessions; do
    # micro-batches that started in the measured time (the log line's timestamp, then query=<q> ... durationMs=)
    awk -v from="$from" '($1 " " substr($2, 1, 8)) >= from' "$work/err.log" \
      | grep -o "query=$q batch=[0-9]* .*durationMs=[0-9]*" | sed 's/.*durationMs=//' | sort -n > "$work/$q.ms" || true
    n=$(wc -l < "$work/$q.ms")
    if [ "$n" -gt 0 ]; then
      p50=$(awk -v n="$n" 'NR == int((n * 50 + 99) / 100)' "$work/$q.ms")
      p99=$(awk -v n="$n" 'NR == int((n * 99 + 99) / 100)' "$work/$q.ms")
      max=$(tail -1 "$work/$q.ms")
      if [ "$q" = lake ]; then target="-"; ok="-"; else target="<= 1,500"; ok=$([ "$p99" -le 1500 ] && echo yes || echo '**no**'); fi
      printf '| %s micro-batch ms, p50 / p99 / max (%d micro-batches) | %s / %s / %s | %s | %s |\n' "$q" "$n" "$p50" "$p99" "$max" "$target" "$ok"
    fi
  done
  echo
  echo "The last live summary of the run:"
  echo
  echo '```'
  awk '/^---- /{block=""} {block = block $0 "\n"} END {printf "%s", block}' "$work/out.log"
  echo '```'
} > "$out"
cat "$out"
echo "written: $out"
