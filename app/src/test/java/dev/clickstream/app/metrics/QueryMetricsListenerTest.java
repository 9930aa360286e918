package dev.clickstream.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.clickstream.testkit.PrometheusText;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Test;

/** Progress reports in, the contract's series out; without a SparkSession (the progress objects are built here). */
class QueryMetricsListenerTest {
  private final PipelineMetrics metrics = new PipelineMetrics();
  private final Map<TopicPartition, Long> latest = new HashMap<>();
  private final QueryMetricsListener listener = new QueryMetricsListener(metrics, partitions -> {
    Map<TopicPartition, Long> known = new HashMap<>(latest);
    known.keySet().retainAll(partitions);
    return known;
  });

  private PrometheusText scrape() {
    return PrometheusText.parse(metrics.scrape());
  }

  @Test
  void everyExpectedSeriesStartsAtZero() {
    metrics.expect(List.of("ingest", "user-sessions"), List.of("not_json"), List.of("lake", "user_sessions"),
        List.of("user_sessions"));
    PrometheusText t = scrape();
    assertThat(t.value("clickstream_query_up", "query", "user-sessions")).hasValue(0);
    assertThat(t.value("clickstream_input_rows_total", "query", "ingest")).hasValue(0);
    assertThat(t.value("clickstream_late_rows_dropped_total", "query", "user-sessions")).hasValue(0);
    assertThat(t.value("clickstream_dead_letters_total", "reason", "not_json")).hasValue(0);
    assertThat(t.value("clickstream_sink_errors_total", "sink", "lake")).hasValue(0);
    assertThat(t.names()).contains("jvm_memory_used_bytes", "jvm_gc_collection_seconds_count");
  }

  @Test
  void progressReportsBecomeCountersGaugesAndAHistogram() {
    var started = new StreamingQueryListener.QueryStartedEvent(UUID.randomUUID(), UUID.randomUUID(), "user-sessions",
        "2026-11-25T10:00:00.000Z");
    listener.onQueryStarted(started);
    assertThat(scrape().value("clickstream_query_up", "query", "user-sessions")).hasValue(1);

    Instant watermark = Instant.now().minusSeconds(150);
    listener.onQueryProgress(Progress.event("user-sessions", 7,
        "2026-11-25T10:00:00.000Z", 1500, Map.of("watermark", watermark.toString()),
        new StateOperatorProgress[] {Progress.state(300, 4096, 5), Progress.state(20, 1024, 2)}, Progress.kafka(900, "{\"user_activity\":{\"0\":900}}")));
    listener.onQueryProgress(Progress.event("user-sessions", 8,
        "2026-11-25T10:00:10.000Z", 700, Map.of("watermark", watermark.toString()),
        new StateOperatorProgress[] {Progress.state(310, 5000, 1)}, Progress.kafka(100, "{\"user_activity\":{\"0\":1000}}")));

    PrometheusText t = scrape();
    assertThat(t.value("clickstream_input_rows_total", "query", "user-sessions")).hasValue(1000);
    assertThat(t.value("clickstream_batches_total", "query", "user-sessions")).hasValue(2);
    assertThat(t.value("clickstream_batch_duration_seconds_count", "query", "user-sessions")).hasValue(2);
    assertThat(t.value("clickstream_batch_duration_seconds_sum", "query", "user-sessions")).hasValue(2.2);
    assertThat(t.value("clickstream_batch_duration_seconds_bucket", "query", "user-sessions", "le", "1.0")).hasValue(1);
    assertThat(t.value("clickstream_last_batch_timestamp_seconds", "query", "user-sessions"))
        .hasValue(Instant.parse("2026-11-25T10:00:10.700Z").toEpochMilli() / 1000.0);
    assertThat(t.value("clickstream_state_rows", "query", "user-sessions")).hasValue(310);
    assertThat(t.value("clickstream_state_memory_bytes", "query", "user-sessions")).hasValue(5000);
    assertThat(t.value("clickstream_late_rows_dropped_total", "query", "user-sessions")).hasValue(8);
    assertThat(t.value("clickstream_input_rows_per_second", "query", "user-sessions")).isPresent();
    assertThat(t.value("clickstream_watermark_lag_seconds", "query", "user-sessions").getAsDouble()).isCloseTo(150, within(5.0));

    listener.onQueryTerminated(new StreamingQueryListener.QueryTerminatedEvent(started.id(), started.runId(),
        scala.Option.apply("boom")));
    assertThat(scrape().value("clickstream_query_up", "query", "user-sessions")).hasValue(0);
  }

  @Test
  void offsetsBehindAreTheRecordsAfterTheLastMicroBatchAtScrapeTime() {
    listener.onQueryProgress(Progress.event("ingest", 3,
        "2026-11-25T10:00:00.000Z", 900, Map.of(), new StateOperatorProgress[0],
        Progress.kafka(150, "{\"user_activity\":{\"0\":100,\"1\":50}}")));
    assertThat(scrape().value("clickstream_kafka_offsets_behind_latest", "query", "ingest"))
        .as("latest offsets unknown: no sample rather than a wrong one").isEmpty();

    latest.put(new TopicPartition("user_activity", 0), 130L);
    latest.put(new TopicPartition("user_activity", 1), 50L);
    assertThat(scrape().value("clickstream_kafka_offsets_behind_latest", "query", "ingest")).hasValue(30);
    assertThat(scrape().value("clickstream_watermark_lag_seconds", "query", "ingest")).as("ingest has no watermark").isEmpty();

    latest.put(new TopicPartition("user_activity", 0), 100L); // the producer stopped and the query caught up
    listener.onQueryProgress(Progress.event("ingest", 4,
        "2026-11-25T10:00:05.000Z", 300, Map.of(), new StateOperatorProgress[0],
        Progress.kafka(30, "{\"user_activity\":{\"0\":130,\"1\":50}}")));
    latest.put(new TopicPartition("user_activity", 0), 130L);
    assertThat(scrape().value("clickstream_kafka_offsets_behind_latest", "query", "ingest")).hasValue(0);
  }

  @Test
  void kafkaOffsetsParseFromSparksJsonAndLagSumsOverPartitions() {
    var p0 = new TopicPartition("t", 0);
    var p1 = new TopicPartition("t", 1);
    assertThat(KafkaLag.parseOffsets("{\"t\":{\"1\":7,\"0\":3}}")).isEqualTo(Map.of(p0, 3L, p1, 7L));
    assertThat(KafkaLag.parseOffsets("not json")).isEmpty();
    assertThat(KafkaLag.parseOffsets(null)).isEmpty();
    assertThat(KafkaLag.behind(Map.of(p0, 3L, p1, 7L), Map.of(p0, 10L, p1, 7L))).isEqualTo(7);
    assertThat(KafkaLag.behind(Map.of(p0, 3L, p1, 7L), Map.of(p0, 10L))).as("a partition unknown").isEqualTo(-1);
    assertThat(KafkaLag.behind(Map.of(p0, 12L), Map.of(p0, 10L))).as("never negative").isZero();
    assertThat(new KafkaLag(Map.of("bootstrap.servers", "127.0.0.1:1"), java.time.Duration.ofSeconds(15))
        .latestOffsets(Set.of())).isEmpty();
  }

  @Test
  void scrapesReuseTheBrokersAnswerForTheLagInterval() {
    var p0 = new TopicPartition("t", 0);
    var p1 = new TopicPartition("t", 1);
    long[] now = {0};
    java.util.List<Set<TopicPartition>> asked = new java.util.ArrayList<>();
    long[] latest = {10};
    boolean[] brokersDown = {false};
    KafkaLag lag = new KafkaLag(Map.of(), java.time.Duration.ofSeconds(15), () -> now[0]) {
      @Override
      public synchronized Map<TopicPartition, Long> latestOffsets(Set<TopicPartition> partitions) {
        asked.add(partitions);
        return brokersDown[0] ? Map.of() : Map.of(p0, latest[0], p1, latest[0] + 1);
      }
    };
    assertThat(lag.cachedLatestOffsets(Set.of(p0))).isEqualTo(Map.of(p0, 10L));
    latest[0] = 20;
    now[0] = java.util.concurrent.TimeUnit.SECONDS.toNanos(14);
    assertThat(lag.cachedLatestOffsets(Set.of(p0))).as("within the interval: the same answer").isEqualTo(Map.of(p0, 10L));
    assertThat(lag.cachedLatestOffsets(Set.of(p0, p1))).as("the answer covered both").isEqualTo(Map.of(p0, 10L, p1, 11L));
    assertThat(asked).hasSize(1);
    now[0] = java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
    assertThat(lag.cachedLatestOffsets(Set.of(p0))).isEqualTo(Map.of(p0, 20L));
    assertThat(asked).hasSize(2);
    brokersDown[0] = true;
    now[0] = java.util.concurrent.TimeUnit.SECONDS.toNanos(31);
    assertThat(lag.cachedLatestOffsets(Set.of(p0))).as("brokers down: no value").isEmpty();
    assertThat(lag.cachedLatestOffsets(Set.of(p0))).isEmpty();
    assertThat(asked).as("a failure is not retried within the interval either").hasSize(3);
  }

  @Test
  void sinksAndDeadLettersCountByLabel() {
    metrics.sinkRows("lake", 40);
    metrics.sinkRows("lake", 2);
    metrics.sinkError("page_view_counts");
    metrics.deadLetters("unknown_event_type", 3);
    metrics.triggerInterval("ingest", 5);
    PrometheusText t = scrape();
    assertThat(t.value("clickstream_sink_rows_total", "sink", "lake")).hasValue(42);
    assertThat(t.value("clickstream_sink_errors_total", "sink", "page_view_counts")).hasValue(1);
    assertThat(t.value("clickstream_dead_letters_total", "reason", "unknown_event_type")).hasValue(3);
    assertThat(t.value("clickstream_trigger_interval_seconds", "query", "ingest")).hasValue(5);
  }

  @Test
  void theIngestAndLakeObservationsBecomeRowsPerOutputAndDeadLettersByReason() {
    listener.observing(dev.clickstream.app.sink.IngestSink.OBSERVATION,
            row -> dev.clickstream.app.sink.IngestSink.record(row, metrics))
        .observing(dev.clickstream.app.sink.LakeSink.OBSERVATION, row -> dev.clickstream.app.sink.LakeSink.record(row, metrics));
    var ingestSchema = new org.apache.spark.sql.types.StructType().add("records", "long").add("malformed", "long");
    List<Object> ingestValues = new java.util.ArrayList<>(List.of(100L, 3L));
    for (String reason : dev.clickstream.contract.EventContract.REASONS) {
      ingestSchema = ingestSchema.add(reason, "long");
      ingestValues.add(reason.equals("not_json") ? 2L : reason.equals("invalid_price") ? 1L : 0L);
    }
    // 97 enriched records: 60 within 5 ms, 30 more within 10 ms, 7 more within 1 s; 900 ms in all
    ingestSchema = ingestSchema.add("enriched_latency_ms", "long");
    ingestValues.add(900L);
    for (int i = 0; i < PipelineMetrics.ENRICHED_LATENCY_BUCKETS.length; i++) {
      ingestSchema = ingestSchema.add("enriched_latency_ms_le_" + i, "long");
      double bound = PipelineMetrics.ENRICHED_LATENCY_BUCKETS[i];
      ingestValues.add(bound < 0.01 ? 60L : bound < 1 ? 90L : 97L);
    }
    Row ingest = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(ingestValues.toArray(), ingestSchema);
    Row lake = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(new Object[] {97L},
        new org.apache.spark.sql.types.StructType().add("rows", "long"));
    listener.onQueryProgress(Progress.observed("ingest", 0, "2026-11-25T10:00:00.000Z", 300, Map.of(),
        new StateOperatorProgress[0], Map.of(dev.clickstream.app.sink.IngestSink.OBSERVATION, ingest),
        Progress.kafka(100, "{\"user_activity\":{\"0\":100}}")));
    listener.onQueryProgress(Progress.observed("lake", 0, "2026-11-25T10:00:00.000Z", 300, Map.of(),
        new StateOperatorProgress[0], Map.of(dev.clickstream.app.sink.LakeSink.OBSERVATION, lake, "someone_elses", lake),
        Progress.kafka(100, "{\"user_activity\":{\"0\":100}}")));
    PrometheusText t = scrape();
    assertThat(t.value("clickstream_sink_rows_total", "sink", "enriched")).hasValue(97);
    assertThat(t.value("clickstream_sink_rows_total", "sink", "dead_letter")).hasValue(3);
    assertThat(t.value("clickstream_sink_rows_total", "sink", "lake")).hasValue(97);
    assertThat(t.value("clickstream_dead_letters_total", "reason", "not_json")).hasValue(2);
    assertThat(t.value("clickstream_dead_letters_total", "reason", "invalid_price")).hasValue(1);
    assertThat(t.value("clickstream_enriched_latency_seconds_bucket", "le", "0.005")).hasValue(60);
    assertThat(t.value("clickstream_enriched_latency_seconds_bucket", "le", "0.5")).hasValue(90);
    assertThat(t.value("clickstream_enriched_latency_seconds_bucket", "le", "1.0")).hasValue(97);
    assertThat(t.value("clickstream_enriched_latency_seconds_bucket", "le", "+Inf")).hasValue(97);
    assertThat(t.value("clickstream_enriched_latency_seconds_count")).hasValue(97);
    assertThat(t.value("clickstream_enriched_latency_seconds_sum")).hasValue(0.9);
  }
}
