package dev.clickstream.app.sink;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.unix_millis;
import static org.apache.spark.sql.functions.when;

import dev.clickstream.app.analytics.EnrichedEvents;
import dev.clickstream.app.metrics.PipelineMetrics;
import dev.clickstream.app.source.EventParser;
import dev.clickstream.app.source.InputTopic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF0;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.types.DataTypes;

/**
 * The sink of the {@code ingest} query (architecture §1): every parsed Kafka record becomes one record of Spark's Kafka
 * sink, whose {@code topic} column routes it (Structured Streaming + Kafka guide, "Writing Data to Kafka"):
 * <ul>
 *   <li>a valid event -> {@code enriched_activity}: key user_id, value the JSON of {@link EnrichedEvents};</li>
 *   <li>a malformed record -> {@code user_activity_dlq}: its original key and value, byte for byte (a value over the
 *       input topic's limit once decompressed cut to it: {@link EventParser#MAX_DEAD_LETTER_VALUE_BYTES}), with the
 *       headers of {@link EventParser#deadLetterHeaders} (error, reason, source topic, partition and offset,
 *       detected_at; truncated and original_size for a cut copy).</li>
 * </ul>
 * One stateless, single-stage write: no cache, no second pass. Delivery is at least once: a micro-batch replayed
 * after a crash is written again, so readers dedupe by event_id (or by the source offset headers).
 *
 * <p>Rows per output and dead letters per reason are counted in the same pass with an observation named
 * {@value #OBSERVATION} ({@code Dataset.observe}); Spark reports it in the micro-batch's progress, and
 * {@link #record} turns it into {@code clickstream_sink_rows_total{sink="enriched"|"dead_letter"}},
 * {@code clickstream_dead_letters_total{reason}} and {@code clickstream_enriched_latency_seconds}: the enriched
 * latency of each valid record, its processing time as it is handed to the Kafka producer (which stamps the enriched
 * record with the same clock, its CreateTime) minus the source record's Kafka timestamp, counted into the buckets of
 * {@link PipelineMetrics#ENRICHED_LATENCY_BUCKETS} by the same observation. The plan is one stateless stage (Kafka
 * source, projection, observation, Kafka sink), which both a processing-time and Spark's real-time trigger run.
 */
public final class IngestSink implements StreamSink {
  /** Output names: the {@code sink} label of the metrics. */
  public static final String ENRICHED = "enriched";
  public static final String DEAD_LETTER = "dead_letter";
  /** The name of the query's observed metrics (Spark's {@code StreamingQueryProgress.observedMetrics}). */
  public static final String OBSERVATION = "ingest_outputs";
  /** The largest record batch the input topic takes, bytes ({@link InputTopic#MAX_MESSAGE_BYTES}). */
  public static final int INPUT_MAX_MESSAGE_BYTES = InputTopic.MAX_MESSAGE_BYTES;
  /**
   * The dead-letter topic's {@code max.message.bytes}: the input's plus 64 KiB, room for the headers (the
   * {@code error} at most 1 KiB, the source coordinates, the time) and the key. The chart, make run and the test
   * broker create it so; the sink's producer may send records this large ({@code max.request.size}).
   */
  public static final int DEAD_LETTER_MAX_MESSAGE_BYTES = INPUT_MAX_MESSAGE_BYTES + 64 * 1024;

  /** @return the dead-letter topic's configs: {@code max.message.bytes} = {@link #DEAD_LETTER_MAX_MESSAGE_BYTES} */
  public static Map<String, String> deadLetterTopicConfigs() {
    return Map.of("max.message.bytes", String.valueOf(DEAD_LETTER_MAX_MESSAGE_BYTES));
  }

  private final Map<String, String> kafkaOptions;
  private final String enrichedTopic;
  private final String deadLetterTopic;

  /**
   * @param kafkaOptions Spark's {@code kafka.}-prefixed producer settings: bootstrap servers and security
   *     ({@code Settings.sparkKafkaOptions()})
   * @param enrichedTopic ENRICHED_TOPIC
   * @param deadLetterTopic DLQ_TOPIC
   */
  public IngestSink(Map<String, String> kafkaOptions, String enrichedTopic, String deadLetterTopic) {
    this.kafkaOptions = Map.copyOf(kafkaOptions);
    this.enrichedTopic = enrichedTopic;
    this.deadLetterTopic = deadLetterTopic;
  }

  /**
   * @param parsed rows of {@link EventParser#parse}
   * @return Kafka sink rows: topic string, key binary, value binary, headers array&lt;struct&lt;key string, value
   *     binary&gt;&gt; (null for enriched records), counted by the {@value #OBSERVATION} observation
   */
  public Dataset<Row> records(Dataset<Row> parsed) {
    List<Column> counts = new ArrayList<>(List.of(count(lit(1)).as("records"), count(col("error")).as("malformed")));
    Column reason = col("reason");
    dev.clickstream.contract.EventContract.REASONS.forEach(r -> counts.add(count(when(reason.equalTo(r), 1)).as(r)));
    Column valid = col("error").isNull();
    Column latency = col(LATENCY_MS);
    counts.add(coalesce(sum(when(valid, latency)), lit(0L)).as(LATENCY_MS));
    for (int i = 0; i < PipelineMetrics.ENRICHED_LATENCY_BUCKETS.length; i++) {
      long boundMs = Math.round(PipelineMetrics.ENRICHED_LATENCY_BUCKETS[i] * 1000);
      counts.add(count(when(valid.and(latency.leq(boundMs)), 1)).as(LATENCY_MS + "_le_" + i));
    }
    return parsed.withColumn(LATENCY_MS, NOW_MS.apply().minus(unix_millis(col("kafka_timestamp"))))
        .observe(OBSERVATION, counts.get(0), counts.subList(1, counts.size()).toArray(new Column[0]))
        .select(when(valid, lit(enrichedTopic)).otherwise(lit(deadLetterTopic)).as("topic"),
            when(valid, col("user_id").cast(DataTypes.BinaryType)).otherwise(EventParser.deadLetterKey()).as("key"),
            when(valid, EnrichedEvents.json().cast(DataTypes.BinaryType)).otherwise(EventParser.deadLetterValue()).as("value"),
            when(col("error").isNotNull(), EventParser.deadLetterHeaders()).as("headers"));
  }

  /** The observed column of the enriched latency, ms (a record's; summed over valid records in the observation). */
  static final String LATENCY_MS = "enriched_latency_ms";

  /**
   * () -> the wall clock, ms, read per row as it is produced (a projection's {@code current_timestamp} is the
   * micro-batch's start, one value for every row). Nondeterministic, so Spark neither folds nor re-orders it.
   */
  private static final UserDefinedFunction NOW_MS =
      udf((UDF0<Long>) System::currentTimeMillis, DataTypes.LongType).asNondeterministic();

  @Override
  public DataStreamWriter<Row> writer(Dataset<Row> parsed) {
    return records(parsed).writeStream()
        .format("kafka")
        .options(kafkaOptions)
        // lz4: the cheapest codec per byte on the producer side (Kafka docs, compression.type)
        .option("kafka.compression.type", "lz4")
        // a few ms of batching per partition; the whole micro-batch is sent at once anyway
        .option("kafka.linger.ms", "5")
        // a dead letter of the largest input record (Kafka's default max.request.size, 1 MiB, is smaller, and a
        // RecordTooLargeException is not retried: the micro-batch would fail on every replay)
        .option("kafka.max.request.size", String.valueOf(DEAD_LETTER_MAX_MESSAGE_BYTES));
  }

  /**
   * @param observed the {@value #OBSERVATION} row of one micro-batch's progress
   * @param metrics where rows per output and dead letters per reason go
   */
  public static void record(Row observed, PipelineMetrics metrics) {
    long malformed = observed.getLong(observed.fieldIndex("malformed"));
    metrics.sinkRows(ENRICHED, observed.getLong(observed.fieldIndex("records")) - malformed);
    metrics.sinkRows(DEAD_LETTER, malformed);
    for (String r : dev.clickstream.contract.EventContract.REASONS) {
      metrics.deadLetters(r, observed.getLong(observed.fieldIndex(r)));
    }
    long[] atMost = new long[PipelineMetrics.ENRICHED_LATENCY_BUCKETS.length + 1];
    for (int i = 0; i < atMost.length - 1; i++) {
      atMost[i] = observed.getLong(observed.fieldIndex(LATENCY_MS + "_le_" + i));
    }
    atMost[atMost.length - 1] = observed.getLong(observed.fieldIndex("records")) - malformed;
    metrics.enrichedLatency(atMost, observed.getLong(observed.fieldIndex(LATENCY_MS)) / 1000.0);
  }
}
