package dev.clickstream.app.sink;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.clickstream.app.analytics.EnrichedEvents;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.source.EventParser;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.storage.StorageLevel;

/**
 * The fan-out of the {@code ingest} query (DESIGN §1): each micro-batch of parsed Kafka records is persisted once
 * and written to three outputs, in this order:
 * <ol>
 *   <li>valid events -> the lake ({@link LakeTable}), one idempotent Delta commit: exactly once;</li>
 *   <li>valid events -> {@code enriched_activity} as JSON ({@link EnrichedEvents}): at least once;</li>
 *   <li>malformed records -> {@code user_activity_dlq}, the original bytes with the reason in headers: at least
 *       once.</li>
 * </ol>
 * A failure in any of them fails the micro-batch; Spark then replays it from the checkpoint, Delta skips the lake
 * commit it already has, and the Kafka outputs are written again (hence "at least once").
 *
 * <p>In: rows of {@link EventParser#parse}. {@link #describe} gives the rows written to each output, which the
 * micro-batch log line of the query carries: {@code lakeRows=4990 enrichedRows=4990 deadLetterRows=10}. With
 * {@link #reportingTo} the same counts go to the metrics: rows per output, failed writes, dead letters per reason
 * code (counted in the same pass over the cached batch that counts valid and malformed rows).
 */
public final class IngestSink implements StreamSink, VoidFunction2<Dataset<Row>, Long> {
  /** Output names: the {@code sink} label of the metrics. */
  public static final String LAKE = "lake";
  public static final String ENRICHED = "enriched";
  public static final String DEAD_LETTER = "dead_letter";

  /** Spark's local property with the running streaming query's id (StreamExecution.QUERY_ID_KEY). */
  static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

  private final LakeTable lake;
  private final KafkaTopicWriter enriched;
  private final KafkaTopicWriter deadLetters;
  private transient PipelineMetrics metrics = PipelineMetrics.UNREAD;
  /** The last few micro-batches' rows: Spark's listener reports a micro-batch after the next may have started. */
  private final java.util.Map<Long, Written> written = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<Long, Written> eldest) {
          return size() > 8;
        }
      });

  /** Rows written by one micro-batch. */
  private record Written(long lake, long enriched, long deadLetter, long parseMs, long lakeMs, long enrichedMs,
      long deadLetterMs) {}

  /**
   * @param lake the Delta table of valid events
   * @param enriched writer of {@code enriched_activity} (JSON keyed by user_id)
   * @param deadLetters writer of {@code user_activity_dlq} (raw)
   */
  public IngestSink(LakeTable lake, KafkaTopicWriter enriched, KafkaTopicWriter deadLetters) {
    this.lake = lake;
    this.enriched = enriched;
    this.deadLetters = deadLetters;
  }

  /**
   * @param metrics where rows written ({@code clickstream_sink_rows_total{sink="lake"|"enriched"|"dead_letter"}}),
   *     failed writes and dead letters by reason go (by default a registry nobody reads)
   * @return this sink
   */
  public IngestSink reportingTo(PipelineMetrics metrics) {
    this.metrics = metrics;
    return this;
  }

  /**
   * @param batchId a micro-batch id
   * @return {@code lakeRows=N enrichedRows=N deadLetterRows=N writeMs=parse:N,lake:N,enriched:N,deadLetter:N}
   *     (rows written to each output; ms spent reading, parsing and caching the batch, and writing each output)
   *     for one of the last 8 micro-batches written here, else empty
   */
  public String describe(long batchId) {
    Written w = written.get(batchId);
    return w == null ? ""
        : "lakeRows=" + w.lake() + " enrichedRows=" + w.enriched() + " deadLetterRows=" + w.deadLetter()
            + " writeMs=parse:" + w.parseMs() + ",lake:" + w.lakeMs() + ",enriched:" + w.enrichedMs() + ",deadLetter:" + w.deadLetterMs();
  }

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> parsed) {
    return parsed.writeStream().foreachBatch(this);
  }

  /**
   * Writes one micro-batch to the three outputs.
   *
   * @param parsed the micro-batch, rows of {@link EventParser#parse}
   * @param batchId the micro-batch id, Delta's txnVersion
   * @throws IllegalStateException when called outside a streaming query (no query id to make the commit idempotent)
   * @throws Exception what an output's write throws (after counting it in {@code clickstream_sink_errors_total})
   */
  @Override
  public void call(Dataset<Row> parsed, Long batchId) throws Exception {
    String queryId = parsed.sparkSession().sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    if (queryId == null) {
      throw new IllegalStateException("no streaming query id: IngestSink runs inside foreachBatch only");
    }
    // Kafka is read and parsed once per micro-batch; the three writes read the cached rows. The raw record
    // (key, value) is only needed by dead letters: valid rows cache null there.
    Dataset<Row> batch = parsed
        .withColumn("key", when(col("error").isNotNull(), col("key")))
        .withColumn("value", when(col("error").isNotNull(), col("value")))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long t0 = System.nanoTime();
      List<Column> counts = new ArrayList<>(List.of(count(lit(1)), count(col("error"))));
      Column reason = EventParser.reason(col("error"));
      EventParser.REASONS.forEach(r -> counts.add(count(when(reason.equalTo(r), 1))));
      Row counted = batch.agg(counts.get(0), counts.subList(1, counts.size()).toArray(new Column[0])).first(); // fills the cache
      long malformed = counted.getLong(1);
      long valid = counted.getLong(0) - malformed;
      Dataset<Row> events = EventParser.validEvents(batch);
      long t1 = System.nanoTime();
      if (valid > 0) {
        metrics.countWrite(LAKE, () -> {
          lake.append(events, queryId, batchId);
          return valid;
        });
      }
      long t2 = System.nanoTime();
      if (valid > 0) {
        metrics.countWrite(ENRICHED, () -> {
          enriched.write(EnrichedEvents.of(events));
          return valid;
        });
      }
      long t3 = System.nanoTime();
      if (malformed > 0) {
        metrics.countWrite(DEAD_LETTER, () -> {
          deadLetters.write(EventParser.deadLetters(batch));
          return malformed;
        });
        for (int i = 0; i < EventParser.REASONS.size(); i++) {
          metrics.deadLetters(EventParser.REASONS.get(i), counted.getLong(2 + i));
        }
      }
      long t4 = System.nanoTime();
      written.put(batchId, new Written(valid, valid, malformed, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
          (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000));
    } finally {
      batch.unpersist(false);
    }
    FaultHook.afterWrite(parsed.sparkSession(), batchId);
  }
}
