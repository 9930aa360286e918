#!/usr/bin/env bash
# `make run` at its defaults (50 events/s, 5 s trigger, the lake once a minute), measured as a new user sees it:
# the JVM's CPU over the last MEASURE seconds (utime + stime from /proc/<pid>/stat) and each query's micro-batch
# durations (p50 / p99 / max, from the per-micro-batch log lines), and the enriched latency over the same time
# (p50 / p99 as the upper bound of the bucket of clickstream_enriched_latency_seconds that holds them, from two
# scrapes of /metrics), and where each query's micro-batch time went (the mean of each part of partsMs). Writes bench/results/<stamp>-make-run.md.
# Usage: bench/make-run/profile.sh [warm-up seconds, default 90] [measured seconds, default 300]
# PROFILE_JAVA_OPTS: extra JVM flags for one side of an A/B pair, e.g. -Dspark.sql.shuffle.partitions=2 (a Spark
# setting given as a system property wins over the pipeline's default); named in the report.
set -euo pipefail
cd "$(dirname "$0")/../.."
warmup=${1:-90}
measure=${2:-300}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
java $(cat app/target/jvm.options) ${PROFILE_JAVA_OPTS:-} -Xmx3g -Dlog4j2.configurationFile=bench/make-run/log4j2.properties \
  -cp 'local/target/classes:local/target/lib/*' dev.clickstream.local.LocalClickstream \
  --data-dir "$work/data" --port-kafka 19092 --port-postgres 15432 --port-metrics 19464 > "$work/out.log" 2> "$work/err.log" &
pid=$!
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
buckets() { curl -s http://127.0.0.1:19464/metrics | grep '^clickstream_enriched_latency_seconds_bucket' \
  | sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/'; }
hz=$(getconf CLK_TCK)
sleep "$warmup"
t0=$(date +%s.%N); c0=$(ticks); from=$(date '+%Y-%m-%d %H:%M:%S'); buckets > "$work/b0"
sleep "$measure"
t1=$(date +%s.%N); c1=$(ticks); buckets > "$work/b1"
cores=$(echo "($c1 - $c0) / $hz / ($t1 - $t0)" | bc -l)
stamp=$(date +%Y%m%d-%H%M%S)
out=bench/results/$stamp-make-run.md
{
  echo "make run at its defaults (50 events/s, TRIGGER_INTERVAL 5 s, LAKE_TRIGGER_INTERVAL 1 minute), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), Java $(java -version 2>&1 | head -1 | cut -d'"' -f2)."
  echo "Warm-up ${warmup} s, then ${measure} s measured from $from.${PROFILE_JAVA_OPTS:+ Extra JVM flags: $PROFILE_JAVA_OPTS.}"
  echo
  printf '| figure | measured | target | met |\n|---|---:|---:|---|\n'
  met=$(echo "$cores <= 0.4" | bc -l)
  printf '| JVM CPU, mean over %s s (cores) | %.3f | <= 0.4 | %s |\n' "$measure" "$cores" "$([ "$met" = 1 ] && echo yes || echo '**no**')"
  mode=$(grep -o 'ingest mode [a-z-]*' "$work/err.log" | head -1 | sed 's/ingest mode //')
  for q in ingest lake analytics user-sessions; do
    # micro-batches that started in the measured time (the log line's timestamp, then query=<q> ... durationMs=)
    awk -v from="$from" '($1 " " substr($2, 1, 8)) >= from' "$work/err.log" \
      | grep -o "query=$q batch=[0-9]* .*durationMs=[0-9]*" | sed 's/.*durationMs=//' | sort -n > "$work/$q.ms" || true
    n=$(wc -l < "$work/$q.ms")
    if [ "$n" -gt 0 ]; then
      p50=$(awk -v n="$n" 'NR == int((n * 50 + 99) / 100)' "$work/$q.ms")
      p99=$(awk -v n="$n" 'NR == int((n * 99 + 99) / 100)' "$work/$q.ms")
      max=$(tail -1 "$work/$q.ms")
      # the lake commits once a minute; a real-time ingest batch lasts REAL_TIME_BATCH_DURATION by design
      if [ "$q" = lake ] || { [ "$q" = ingest ] && [ "$mode" = real-time ]; }; then target="-"; ok="-"; else target="<= 1,500"; ok=$([ "$p99" -le 1500 ] && echo yes || echo '**no**'); fi
      printf '| %s micro-batch ms, p50 / p99 / max (%d micro-batches) | %s / %s / %s | %s | %s |\n' "$q" "$n" "$p50" "$p99" "$max" "$target" "$ok"
    fi
  done
  echo
  echo "Where each query's micro-batch time went (mean ms per micro-batch of each part of the log line's partsMs: the"
  echo "driver's phases, then the state operators' task time summed over tasks):"
  echo
  for q in ingest lake analytics user-sessions; do
    awk -v from="$from" '($1 " " substr($2, 1, 8)) >= from' "$work/err.log" \
      | grep -o "query=$q batch=[0-9]* .*partsMs=[^ ]*" | sed 's/.*partsMs=//' \
      | awk -v q="$q" -F, '{ n++; for (i = 1; i <= NF; i++) { split($i, kv, ":"); if (!(kv[1] in sum)) order[++k] = kv[1]; sum[kv[1]] += kv[2] } }
          END { if (n == 0) exit; line = "- " q " (" n " micro-batches):"; for (i = 1; i <= k; i++) line = line sprintf(" %s %.0f", order[i], sum[order[i]] / n); print line }'
  done
  echo
  # enriched latency: the buckets' increase over the measured time, cumulative; a quantile is the first bound
  # whose count reaches that share of all
  paste "$work/b0" "$work/b1" | awk -v mode="$mode" '
    { le[NR] = $1; n[NR] = $4 - $2 } END {
      total = n[NR]; p50 = ""; p99 = ""
      for (i = 1; i <= NR; i++) {
        if (p50 == "" && n[i] >= 0.5 * total) p50 = le[i]
        if (p99 == "" && n[i] >= 0.99 * total) p99 = le[i]
      }
      printf "| enriched latency, %s ingest: p50 / p99 at most (s; %d records) | %s / %s | - | - |\n", mode, total, p50, p99
    }'
  echo
  echo "The last live summary of the run:"
  echo
  echo '```'
  awk '/^---- /{block=""} {block = block $0 "\n"} END {printf "%s", block}' "$work/out.log"
  echo '```'
} > "$out"
cat "$out"
echo "written: $out"
