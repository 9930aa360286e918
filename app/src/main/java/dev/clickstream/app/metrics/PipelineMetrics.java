package dev.clickstream.app.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The driver's Prometheus metrics (architecture §5 {@code METRICS_PORT}): one registry per pipeline, served
 * on {@code http://<host>:<port>/metrics} in the Prometheus text format by the client's JDK HTTP server.
 *
 * <p>The names and label sets are a contract (README "Metrics"); a dashboard and alert rules are built on them:
 * <ul>
 *   <li>per {@code query}: {@code clickstream_input_rows_total}, {@code clickstream_input_rows_per_second},
 *       {@code clickstream_processed_rows_per_second} (rows/s of the last micro-batch, Spark's
 *       {@code StreamingQueryProgress}), {@code clickstream_batch_duration_seconds} (histogram),
 *       {@code clickstream_batch_part_seconds_total{query,part}} (where the micro-batches' time went, s, per
 *       {@link BatchTimeParts} part), {@code clickstream_batches_total}, {@code clickstream_last_batch_timestamp_seconds} (Unix s, when the
 *       last micro-batch completed), {@code clickstream_trigger_interval_seconds} (0 = available-now),
 *       {@code clickstream_kafka_offsets_behind_latest} (records), {@code clickstream_watermark_lag_seconds},
 *       {@code clickstream_late_rows_dropped_total}, {@code clickstream_state_rows},
 *       {@code clickstream_state_memory_bytes}, {@code clickstream_query_up} (1 running, 0 not);</li>
 *   <li>{@code clickstream_dead_letters_total{reason}}, {@code clickstream_sink_rows_total{sink}},
 *       {@code clickstream_sink_errors_total{sink}}, {@code clickstream_rejected_rows_total{table}};</li>
 *   <li>{@code clickstream_enriched_latency_seconds} (histogram, no labels): source record to enriched record;</li>
 *   <li>the Prometheus client's JVM metrics ({@code jvm_memory_used_bytes}, {@code jvm_gc_collection_seconds}, ...).</li>
 * </ul>
 * Counters start at 0 for every query, reason and sink named in {@link #expect}, so that {@code rate()} and
 * "absent" alerts work from the first scrape. Counters restart at 0 with the process, as Prometheus expects.
 */
public final class PipelineMetrics implements AutoCloseable {
  /** Buckets of {@code clickstream_batch_duration_seconds}, s: around typical triggers (1 s to 1 min). */
  static final double[] BATCH_DURATION_BUCKETS = {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300};

  /**
   * Upper bounds of {@code clickstream_enriched_latency_seconds}, s: from real-time mode's milliseconds (Spark's
   * real-time mode guide reports single-digit ms for stateless Kafka queries) to a micro-batch trigger's seconds.
   */
  public static final double[] ENRICHED_LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  final Counter inputRows = counter("clickstream_input_rows_total", "Rows read by the query's micro-batches.", "query");
  final Gauge inputRate = gauge("clickstream_input_rows_per_second",
      "Rows/s arriving, over the last micro-batch (Spark's inputRowsPerSecond).", "query");
  final Gauge processedRate = gauge("clickstream_processed_rows_per_second",
      "Rows/s processed by the last micro-batch (Spark's processedRowsPerSecond).", "query");
  final Histogram batchDuration = Histogram.builder().name("clickstream_batch_duration_seconds")
      .help("Wall time of a micro-batch, s (Spark's batchDuration).").labelNames("query")
      .classicOnly().classicUpperBounds(BATCH_DURATION_BUCKETS).register(registry);
  final Counter batchParts = Counter.builder().name("clickstream_batch_part_seconds")
      .help("Time spent in each part of the query's micro-batches, s: the driver's phases (Spark's durationMs: "
          + "latestOffset, queryPlanning, walCommit, addBatch, commitOffsets, ...) and the state operators' task time "
          + "(stateUpdates, stateRemovals, stateCommit), BatchTimeParts.").labelNames("query", "part").register(registry);
  final Counter batches = counter("clickstream_batches_total", "Micro-batches completed.", "query");
  final Gauge lastBatch = gauge("clickstream_last_batch_timestamp_seconds",
      "Unix time, s, at which the query's last micro-batch completed.", "query");
  final Gauge triggerInterval = gauge("clickstream_trigger_interval_seconds",
      "The query's processing-time trigger interval, or real-time batch duration, s; 0 for an available-now trigger.", "query");
  final Counter lateRowsDropped = counter("clickstream_late_rows_dropped_total",
      "Rows dropped by the query's stateful operators for being older than the watermark (Spark's "
          + "numRowsDroppedByWatermark; for aggregations, rows after partial aggregation).", "query");
  final Gauge stateRows = gauge("clickstream_state_rows", "Rows in the query's state stores.", "query");
  final Gauge stateMemory = gauge("clickstream_state_memory_bytes", "Memory used by the query's state stores, bytes.", "query");
  final Gauge queryUp = gauge("clickstream_query_up", "1 while the query runs, 0 when it is not running.", "query");
  private final Counter deadLetters = counter("clickstream_dead_letters_total",
      "Malformed records sent to the dead-letter topic, by reason code.", "reason");
  private final Counter sinkRows = counter("clickstream_sink_rows_total", "Rows written to an output.", "sink");
  private final Counter sinkErrors = counter("clickstream_sink_errors_total",
      "Failed writes to an output (each fails its micro-batch, which Spark replays on restart).", "sink");
  private final Counter rejectedRows = counter("clickstream_rejected_rows_total",
      "Rows Postgres refused for their content (SQL state classes 22, 23), recorded in rejected_rows instead.", "table");

  /** Per bucket of ENRICHED_LATENCY_BUCKETS and +Inf: enriched records in it (not cumulative). */
  private final long[] enrichedLatencyCounts = new long[ENRICHED_LATENCY_BUCKETS.length + 1];
  private double enrichedLatencySum;

  /** query -> watermark of its last micro-batch */
  final Map<String, Instant> watermarks = new ConcurrentHashMap<>();
  private HTTPServer server;

  /** A registry with every metric of the contract and the JVM's; nothing is served until {@link #serve}. */
  public PipelineMetrics() {
    GaugeWithCallback.builder().name("clickstream_watermark_lag_seconds")
        .help("Processing time minus the query's event-time watermark, s, at scrape time.").labelNames("query")
        .callback(cb -> {
          long nowMs = System.currentTimeMillis();
          watermarks.forEach((query, watermark) -> cb.call((nowMs - watermark.toEpochMilli()) / 1000.0, query));
        })
        .register(registry);
    registry.register(this::enrichedLatencySnapshot);
    JvmMetrics.builder().register(registry);
  }

  /**
   * Adds one batch's enriched latencies to {@code clickstream_enriched_latency_seconds}.
   *
   * @param atMost per upper bound of {@link #ENRICHED_LATENCY_BUCKETS}, then +Inf: enriched records of the batch
   *     whose latency is at most that (cumulative, as Prometheus buckets are)
   * @param sumSeconds their latencies summed, s
   */
  public synchronized void enrichedLatency(long[] atMost, double sumSeconds) {
    for (int i = 0; i < enrichedLatencyCounts.length; i++) {
      enrichedLatencyCounts[i] += atMost[i] - (i == 0 ? 0 : atMost[i - 1]);
    }
    enrichedLatencySum += sumSeconds;
  }

  private synchronized HistogramSnapshot enrichedLatencySnapshot() {
    double[] bounds = java.util.Arrays.copyOf(ENRICHED_LATENCY_BUCKETS, ENRICHED_LATENCY_BUCKETS.length + 1);
    bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
    return HistogramSnapshot.builder().name("clickstream_enriched_latency_seconds")
        .help("Enriched latency of a valid record, s: when the ingest query hands it to the Kafka producer (the "
            + "enriched record's timestamp) minus the source record's Kafka timestamp.")
        .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
            .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, enrichedLatencyCounts.clone()))
            .sum(enrichedLatencySum).build())
        .build();
  }

  /**
   * Registers {@code clickstream_kafka_offsets_behind_latest{query}}, computed at each scrape.
   *
   * @param offsetsBehind at each scrape: query -> records behind the latest offsets, for the queries that read
   *     Kafka and whose lag is known at the moment (the others are left out of the scrape)
   */
  public void offsetsBehind(Supplier<Map<String, Long>> offsetsBehind) {
    GaugeWithCallback.builder().name("clickstream_kafka_offsets_behind_latest")
        .help("Records in the source topic's partitions after the offsets the query has processed, at scrape time.")
        .labelNames("query")
        .callback(cb -> offsetsBehind.get().forEach((query, behind) -> cb.call(behind, query)))
        .register(registry);
  }

  /**
   * Starts every series at 0 so that it exists before the first event.
   *
   * @param queries query names
   * @param reasons dead-letter reason codes
   * @param sinks output names
   * @param tables the Postgres tables among them (the {@code table} label of {@code clickstream_rejected_rows_total})
   */
  public void expect(Collection<String> queries, Collection<String> reasons, Collection<String> sinks,
      Collection<String> tables) {
    for (String q : queries) {
      inputRows.labelValues(q);
      batches.labelValues(q);
      lateRowsDropped.labelValues(q);
      queryUp.labelValues(q).set(0);
    }
    reasons.forEach(deadLetters::labelValues);
    for (String s : sinks) {
      sinkRows.labelValues(s);
      sinkErrors.labelValues(s);
    }
    tables.forEach(rejectedRows::labelValues);
  }

  /**
   * @param query query name
   * @param seconds its processing-time trigger interval, s; 0 for available-now
   */
  public void triggerInterval(String query, double seconds) {
    triggerInterval.labelValues(query).set(seconds);
  }

  /**
   * @param sink output name ({@code lake}, {@code enriched}, {@code dead_letter} or a Postgres table)
   * @param rows rows written by one micro-batch
   */
  public void sinkRows(String sink, long rows) {
    sinkRows.labelValues(sink).inc(rows);
  }

  /**
   * @param table a Postgres table
   * @param rows rows of one write that Postgres refused for their content, recorded in rejected_rows
   */
  public void rejectedRows(String table, long rows) {
    rejectedRows.labelValues(table).inc(rows);
  }

  /** @param sink output whose write failed */
  public void sinkError(String sink) {
    sinkErrors.labelValues(sink).inc();
  }

  /** One output's write of a micro-batch; it may fail with anything Spark throws (Scala's are undeclared). */
  public interface SinkWrite {
    /**
     * @return rows written
     * @throws Exception when the write fails
     */
    long run() throws Exception;
  }

  /**
   * Runs one output's write and counts it: its rows ({@link #sinkRows}) or its failure ({@link #sinkError}),
   * which is rethrown so that it fails the micro-batch.
   *
   * @param sink output name, as for {@link #sinkRows}
   * @param write the write
   * @throws Exception what the write throws
   */
  public void countWrite(String sink, SinkWrite write) throws Exception {
    long rows;
    try {
      rows = write.run();
    } catch (Exception e) {
      sinkError(sink);
      throw e;
    }
    sinkRows(sink, rows);
  }

  /**
   * @param reason a dead-letter reason code ({@code dev.clickstream.contract.EventContract.REASONS})
   * @param records malformed records of one micro-batch with that reason
   */
  public void deadLetters(String reason, long records) {
    deadLetters.labelValues(reason).inc(records);
  }

  /**
   * Serves {@code /metrics} on one interface.
   *
   * @param bindAddress METRICS_BIND_ADDRESS: an interface's address or host name, {@code 0.0.0.0} for all
   * @param port TCP port; 0 picks a free one
   * @return the port served
   * @throws IOException when the port cannot be bound (in use, not permitted, no such address)
   */
  public int serve(String bindAddress, int port) throws IOException {
    server = HTTPServer.builder().hostname(bindAddress).port(port).registry(registry).buildAndStart();
    return server.getPort();
  }

  /** @return the current values in the Prometheus text format 0.0.4, as {@code /metrics} serves them */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Stops serving; the registry stays readable through {@link #scrape}. */
  @Override
  public void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  private Counter counter(String name, String help, String label) {
    return Counter.builder().name(name).help(help).labelNames(label).register(registry);
  }

  private Gauge gauge(String name, String help, String label) {
    return Gauge.builder().name(name).help(help).labelNames(label).register(registry);
  }
}
