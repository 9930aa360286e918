package dev.clickstream.app.metrics;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Feeds {@link PipelineMetrics} from Spark's streaming query events: every {@link StreamingQueryProgress} (one per
 * micro-batch) updates the per-query series, start and termination of its runs set {@code clickstream_query_up}.
 *
 * <p>Spark delivers these events on its listener bus thread, shortly after the micro-batch (Spark's
 * "Monitoring Streaming Queries" guide); a scrape may therefore lag a micro-batch behind its log line.
 */
public final class QueryMetricsListener extends StreamingQueryListener {
  private final PipelineMetrics metrics;
  private final Function<Set<TopicPartition>, Map<TopicPartition, Long>> latestOffsets;
  /** run id -> query name, of the runs that have started and not yet terminated */
  private final Map<UUID, String> runs = new ConcurrentHashMap<>();
  /** query -> partition -> end offset of its last micro-batch, for queries that read Kafka */
  private final Map<String, Map<TopicPartition, Long>> processed = new ConcurrentHashMap<>();
  /** observation name -> what its row of a micro-batch's progress updates */
  private final Map<String, Consumer<Row>> observers = new ConcurrentHashMap<>();

  /**
   * @param metrics where the values go
   * @param latestOffsets partitions -> their latest offsets now, from the brokers the Kafka queries read (for
   *     {@code clickstream_kafka_offsets_behind_latest}; {@link KafkaLag#latestOffsets}); empty when unknown
   */
  public QueryMetricsListener(PipelineMetrics metrics, Function<Set<TopicPartition>, Map<TopicPartition, Long>> latestOffsets) {
    this.metrics = metrics;
    this.latestOffsets = latestOffsets;
    metrics.offsetsBehind(this::offsetsBehind);
  }

  /**
   * @param observation the name of a {@code Dataset.observe} in a query's plan
   * @param observer called with its row (the aggregates of one micro-batch) when that micro-batch's progress comes
   * @return this listener
   */
  public QueryMetricsListener observing(String observation, Consumer<Row> observer) {
    observers.put(observation, observer);
    return this;
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    if (event.name() != null) {
      runs.put(event.runId(), event.name());
      metrics.queryUp.labelValues(event.name()).set(1);
    }
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    record(event.progress());
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {
    // no micro-batch ran: the series keep the last one's values
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    // Spark calls onQueryStarted synchronously in start() but delivers the termination later: when a query is
    // restarted on its checkpoint (same name, new run), the old run's termination may arrive after the new start
    String name = runs.remove(event.runId());
    if (name != null && !runs.containsValue(name)) {
      metrics.queryUp.labelValues(name).set(0);
    }
  }

  /**
   * @param p the progress of one micro-batch; its name is the query label
   */
  void record(StreamingQueryProgress p) {
    String q = p.name();
    if (q == null) {
      return;
    }
    metrics.inputRows.labelValues(q).inc(p.numInputRows());
    metrics.inputRate.labelValues(q).set(finite(p.inputRowsPerSecond()));
    metrics.processedRate.labelValues(q).set(finite(p.processedRowsPerSecond()));
    metrics.batchDuration.labelValues(q).observe(p.batchDuration() / 1000.0);
    BatchTimeParts.of(p).forEach((part, ms) -> metrics.batchParts.labelValues(q, part).inc(ms / 1000.0));
    metrics.batches.labelValues(q).inc();
    metrics.lastBatch.labelValues(q).set((Instant.parse(p.timestamp()).toEpochMilli() + p.batchDuration()) / 1000.0);
    String watermark = p.eventTime().get("watermark");
    Instant watermarkAt = watermark == null ? Instant.EPOCH : Instant.parse(watermark);
    if (watermarkAt.isAfter(Instant.EPOCH)) { // the epoch = no event seen yet
      metrics.watermarks.put(q, watermarkAt);
    }
    if (p.stateOperators().length > 0) {
      long rows = 0;
      long memory = 0;
      long dropped = 0;
      for (StateOperatorProgress op : p.stateOperators()) {
        rows += op.numRowsTotal();
        memory += op.memoryUsedBytes();
        dropped += op.numRowsDroppedByWatermark();
      }
      metrics.stateRows.labelValues(q).set(rows);
      metrics.stateMemory.labelValues(q).set(memory);
      metrics.lateRowsDropped.labelValues(q).inc(dropped);
    }
    if (p.observedMetrics() != null) {
      p.observedMetrics().forEach((name, row) -> {
        Consumer<Row> observer = observers.get(name);
        if (observer != null && row != null) {
          observer.accept(row);
        }
      });
    }
    Map<TopicPartition, Long> ends = new HashMap<>();
    for (SourceProgress s : p.sources()) {
      if (s.description() != null && s.description().startsWith("KafkaV2")) {
        ends.putAll(KafkaLag.parseOffsets(s.endOffset()));
      }
    }
    if (!ends.isEmpty()) {
      processed.put(q, ends);
    }
  }

  /** @return query -> records behind, for the Kafka queries whose partitions' latest offsets are known now */
  Map<String, Long> offsetsBehind() {
    if (processed.isEmpty()) {
      return Map.of();
    }
    Set<TopicPartition> partitions = new HashSet<>();
    processed.values().forEach(m -> partitions.addAll(m.keySet()));
    Map<TopicPartition, Long> latest = latestOffsets.apply(partitions);
    Map<String, Long> behind = new HashMap<>();
    processed.forEach((query, ends) -> {
      long b = KafkaLag.behind(ends, latest);
      if (b >= 0) {
        behind.put(query, b);
      }
    });
    return behind;
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }
}
