package dev.clickstream.bench;

import dev.clickstream.contract.Query;
import dev.clickstream.app.config.IngestMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's report: Markdown (hardware line, versions, settings, one table per part, the targets
 * with measured values) and the same figures as JSON.
 *
 * @param events events of the throughput runs
 * @param maxOffsets MAX_OFFSETS_PER_TRIGGER of the throughput runs
 * @param warmUp warm-up per latency run
 * @param measure measured time per latency run
 * @param trigger trigger interval of the latency runs
 * @param realTimeBatch REAL_TIME_BATCH_DURATION of the real-time latency runs
 * @param realTimeFetchWait REAL_TIME_FETCH_WAIT of the real-time latency runs (0: off)
 * @param throughput run name to events/s, in run order; the ceiling is {@value #CEILING}
 * @param latencies latency results, one per rate
 */
public record BenchmarkReport(long events, long maxOffsets, Duration warmUp, Duration measure, Duration trigger,
    Duration realTimeBatch, Duration realTimeFetchWait, Map<String, Double> throughput, List<LatencyBenchmark.Result> latencies) {
  /** Name of the ceiling run in {@link #throughput}. */
  public static final String CEILING = "plain KafkaConsumer (ceiling)";
  /** Name of the run of all queries in {@link #throughput}. */
  public static final String TOGETHER = "all queries together";
  /** Name of the ingest run in {@link #throughput}. */
  public static final String INGEST = "ingest alone";

  /**
   * One target of the benchmark.
   *
   * @param target what is asked
   * @param measured the figure
   * @param met whether the figure meets it
   */
  public record Target(String target, String measured, boolean met) {}

  /** The Postgres p99 (ms) up to which a rate counts as sustained. */
  static final long SUSTAINED_POSTGRES_P99_MS = 10_000;

  /**
   * @param mode the ingest mode of the runs considered
   * @return the highest input rate at which that mode's run of every query, and every slower one, kept Postgres p99
   *     within {@value #SUSTAINED_POSTGRES_P99_MS} ms and no query's lag grew; 0 when the slowest did not
   */
  public int highestSustainedRate(IngestMode mode) {
    int highest = 0;
    for (LatencyBenchmark.Result r : latencies.stream().filter(r -> r.mode() == mode
        && r.queries().size() == Query.values().length).sorted(java.util.Comparator.comparingInt(LatencyBenchmark.Result::rate)).toList()) {
      if (r.postgresMs().p99() > SUSTAINED_POSTGRES_P99_MS || r.lagGrowing()) {
        break;
      }
      highest = r.rate();
    }
    return highest;
  }

  /**
   * @return the targets this run measured: at 5,000 events/s with real-time ingest and every query, enriched p99
   *     &lt;= 250 ms, Postgres p99 &lt;= 6 s, no lag growing; per ingest mode, the highest sustained rate ({@link #highestSustainedRate}) &gt;= 10,000 events/s; the lake within its trigger +
   *     30 s; all queries together &lt;= 60 core-µs per event
   */
  public List<Target> targets() {
    List<Target> out = new ArrayList<>();
    for (LatencyBenchmark.Result r : latencies) {
      String run = String.format("%,d events/s, %s", r.rate(), r.label());
      if (r.queries().size() != Query.values().length) {
        continue;
      }
      if (r.mode() == IngestMode.REAL_TIME && r.rate() == 5_000) {
        out.add(new Target(run + ": enriched p99 <= 250 ms", String.format("%,d ms", r.enrichedMs().p99()),
            r.enrichedMs().p99() <= 250));
        out.add(new Target(run + ": Postgres p99 <= 6,000 ms", String.format("%,d ms", r.postgresMs().p99()),
            r.postgresMs().p99() <= 6_000));
        out.add(new Target(run + ": Kafka lag not growing", lagText(r), !r.lagGrowing()));
      }
      out.add(new Target(String.format("%s: lake p99 <= LAKE_TRIGGER_INTERVAL + 30 s (90,000 ms)", run),
          String.format("%,d ms", r.lakeMs().p99()), r.lakeMs().p99() <= 90_000));
    }
    for (IngestMode mode : IngestMode.values()) {
      if (latencies.stream().anyMatch(r -> r.mode() == mode && r.queries().size() == Query.values().length)) {
        int sustained = highestSustainedRate(mode);
        out.add(new Target("highest sustained rate, " + mode + " ingest (Postgres p99 <= 10 s, lag not growing) "
            + ">= 10,000 events/s", String.format("%,d events/s", sustained), sustained >= 10_000));
      }
    }
    Double together = throughput.get(TOGETHER);
    if (together != null) {
      double coreMicros = Runtime.getRuntime().availableProcessors() * 1e6 / together;
      out.add(new Target("all queries together <= 60 core-µs per event", String.format("%.1f", coreMicros), coreMicros <= 60));
    }
    return out;
  }

  private static String lagText(LatencyBenchmark.Result r) {
    List<String> parts = new ArrayList<>();
    r.lag().forEach((q, l) -> parts.add(String.format("%s %,d -> %,d", q, l.firstThird(), l.lastThird())));
    return String.join(", ", parts);
  }

  /** @return the Markdown report */
  public String markdown() {
    StringBuilder md = new StringBuilder();
    md.append(String.format("Hardware: %d cores (%s), %d GiB, Java %s. Spark %s local[*], Kafka %s broker in the same JVM, "
            + "embedded PostgreSQL 17, Delta Lake %s. Throughput runs: %,d events (every 50th late by 5 min, every 500th malformed), "
            + "4 partitions, available-now, MAX_OFFSETS_PER_TRIGGER %,d, after unmeasured warm-up runs (parse, and every "
            + "query over 100k events); each query reads the topic itself.%n%n",
        Runtime.getRuntime().availableProcessors(), cpuModel(), totalMemoryGiB(), System.getProperty("java.version"),
        org.apache.spark.package$.MODULE$.SPARK_VERSION(), org.apache.kafka.common.utils.AppInfoParser.getVersion(),
        deltaVersion(), events, maxOffsets));
    String overrides = sparkOverrides();
    md.append(overrides.isEmpty() ? "" : "Spark settings given with -D: " + overrides + "\n\n");
    if (!throughput.isEmpty()) {
      Double ceiling = throughput.get(CEILING);
      // cost per event: the wall time of a run on all cores, per event (cores x 1e6 / events per second)
      int cores = Runtime.getRuntime().availableProcessors();
      md.append("| run | events/s | ratio to ceiling | core-µs per event |\n|---|---:|---:|---:|\n");
      throughput.forEach((name, rate) -> md.append(String.format("| %s | %,.0f | %s | %.1f |%n", name, rate,
          ceiling == null ? "" : String.format("%.2f", rate / ceiling), cores * 1e6 / rate)));
    }
    if (!latencies.isEmpty()) {
      md.append(String.format("%nLatency: all queries, Spark local[6], trigger %d s (lake: LAKE_TRIGGER_INTERVAL, 1 minute), "
              + "ingest in micro-batch mode (under the trigger) or real-time mode (REAL_TIME_BATCH_DURATION %d ms, REAL_TIME_FETCH_WAIT %d ms), each rate %d s "
              + "warm-up then %d s measured; latency from the source record's Kafka timestamp, ms (p50 / p95 / p99 / max); "
              + "to the lake: the modification time of the Parquet file holding the event (written just before its commit). "
              + "Lag: records behind the topic, mean over the first and the last third of the measured time. Heap: JVM heap "
              + "used, peak of 100 ms samples, and right after each GC (an upper bound of the reachable data), of one JVM "
              + "holding driver, executor, broker and producer. JVM cores: that JVM's CPU time over the measured time / the measured "
              + "time (Postgres not included).%n%n",
          trigger.toSeconds(), realTimeBatch.toMillis(), realTimeFetchWait.toMillis(), warmUp.toSeconds(), measure.toSeconds()));
      md.append("| input events/s | ingest mode | sent events/s | JVM cores | to enriched_activity | to Postgres updated_at | to the lake | lag, first -> last third "
          + "| heap peak, sampled / after GC | state rows | micro-batch ms, p50 / p99 / max |\n|---:|---|---:|---:|---|---|---|---|---:|---|---|\n");
      for (LatencyBenchmark.Result r : latencies) {
        md.append(String.format("| %,d | %s | %,.0f | %.2f | %s%s | %s%s | %s | %s%s | %,d / %,d MB | %s | %s |%n", r.rate(), r.label(), r.sentPerSecond(), r.jvmCores(),
            quartet(r.enrichedMs()), r.enrichedMissing() == 0 ? "" : " (" + r.enrichedMissing() + " missing)",
            quartet(r.postgresMs()), r.postgresUncounted() == 0 ? "" : " (" + r.postgresUncounted() + " uncounted)",
            quartet(r.lakeMs()), lagText(r), r.lagGrowing() ? " (**growing**)" : "",
            r.heapPeakBytes() >> 20, r.liveHeapPeakBytes() >> 20, join(r.stateRows(), v -> String.format("%,d", v)),
            join(r.batchMs(), p -> p.p50() + " / " + p.p99() + " / " + p.max())));
      }
    }
    if (latencies.stream().anyMatch(r -> !r.batchPartsMs().isEmpty())) {
      md.append("\nWhere the micro-batch time went, per latency run and query: mean ms per micro-batch of each part "
          + "(the driver's phases, then the state operators' task time summed over tasks; BatchTimeParts).\n\n"
          + "| input events/s | ingest mode | query | parts, mean ms per micro-batch |\n|---:|---|---|---|\n");
      for (LatencyBenchmark.Result r : latencies) {
        r.batchPartsMs().forEach((query, parts) -> md.append(String.format("| %,d | %s | %s | %s |%n", r.rate(), r.label(),
            query, dev.clickstream.app.metrics.BatchTimeParts.format(parts).replace(",", ", ").replace(":", " "))));
      }
    }
    List<Target> targets = targets();
    if (!targets.isEmpty()) {
      md.append("\n| target | measured | met |\n|---|---:|---|\n");
      targets.forEach(t -> md.append(String.format("| %s | %s | %s |%n", t.target(), t.measured(), t.met() ? "yes" : "**no**")));
    }
    return md.toString();
  }

  /** @return the JSON report */
  public String json() throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("hardware", Map.of("cores", Runtime.getRuntime().availableProcessors(), "cpu", cpuModel(),
        "memoryGiB", totalMemoryGiB(), "java", System.getProperty("java.version"),
        "spark", org.apache.spark.package$.MODULE$.SPARK_VERSION(), "sparkOverrides", sparkOverrides()));
    root.put("settings", Map.of("events", events, "maxOffsetsPerTrigger", maxOffsets, "warmUpSeconds", warmUp.toSeconds(),
        "measureSeconds", measure.toSeconds(), "triggerSeconds", trigger.toSeconds(),
        "realTimeBatchMillis", realTimeBatch.toMillis(), "realTimeFetchWaitMillis", realTimeFetchWait.toMillis()));
    root.put("eventsPerSecond", throughput);
    root.put("latency", latencies);
    root.put("targets", targets());
    return ClickstreamBenchmark.json().writeValueAsString(root);
  }

  /**
   * Writes {@code <dir>/<stamp>.md}, {@code .json} and the charts {@code <stamp>-throughput.png} and
   * {@code <stamp>-latency.png}, and prints the Markdown.
   *
   * @param dir results directory, created if missing
   * @param stamp file name without extension
   * @throws IOException when the files cannot be written
   */
  public void write(Path dir, String stamp) throws IOException {
    Files.createDirectories(dir);
    String md = markdown();
    Files.writeString(dir.resolve(stamp + ".md"), md);
    Files.writeString(dir.resolve(stamp + ".json"), json());
    if (!throughput.isEmpty()) {
      BenchmarkCharts.throughput(throughput, CEILING, dir.resolve(stamp + "-throughput.png"));
    }
    if (!latencies.isEmpty()) {
      BenchmarkCharts.latency(latencies, trigger, dir.resolve(stamp + "-latency.png"));
    }
    System.out.println();
    System.out.print(md);
    System.out.println("\nwritten: " + dir.resolve(stamp + ".md") + " and .json");
  }

  private static String quartet(Percentiles p) {
    if (p.count() == 0) {
      return "-"; // the run had no such output
    }
    return String.format("%,d / %,d / %,d / %,d", p.p50(), p.p95(), p.p99(), p.max());
  }

  private static <V> String join(Map<String, V> values, java.util.function.Function<V, String> format) {
    List<String> parts = new ArrayList<>();
    values.forEach((k, v) -> parts.add(k + " " + format.apply(v)));
    return String.join(", ", parts);
  }

  /** @return {@code -Dspark.*} system properties (they override the pipeline's session settings), or "" */
  private static String sparkOverrides() {
    return System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("spark.")).sorted()
        .map(k -> k + "=" + System.getProperty(k)).collect(java.util.stream.Collectors.joining(", "));
  }

  private static String deltaVersion() {
    String v = io.delta.tables.DeltaTable.class.getPackage().getImplementationVersion();
    return v == null ? "4.1" : v;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static long totalMemoryGiB() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
    }
    return -1;
  }
}
