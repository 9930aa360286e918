package dev.clickstream.app.source;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import dev.clickstream.contract.EventField;
import dev.clickstream.contract.EventRecordParser;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Parses Kafka records against the contract (architecture §3) and classifies each as valid or malformed: the Spark
 * wiring of {@link EventRecordParser}, which reads each record value once, in plain Java.
 *
 * <p>In: Spark's Kafka rows (key, value binary, topic, partition, offset, timestamp). Out of {@link #parse}:
 * key binary, value binary (the raw record), source_topic string, source_partition int, source_offset long,
 * kafka_timestamp timestamp, event_id string, event_time timestamp, user_id string, page_url string,
 * event_type string, product_id string, category string, price decimal(12,2), quantity int, currency string,
 * order_id string, device string, country string, error string (null when valid).
 *
 * <p>The rules, their order and messages are {@link EventRecordParser}'s; the producer's {@code EventCodec} applies
 * the same ones, and both are tested against one table of cases (the test kit's {@code ContractCases}). Each reason
 * has a stable code (the {@code reason} column: {@code Reason#code()}) for dead-letter headers and metric labels. Money is exact:
 * the price is the number as written, decimal(12,2), never a double.
 *
 * <p>Why not Spark's {@code from_json}: it gives a number read into a string field as its text and a price as the
 * text of a double, so every rule needed a look at the raw record (regexes, one cast of the value per check),
 * several times the cost of the one pass (bench/README.md, "Figures moved out of the code").
 */
public final class EventParser {
  /**
   * (value binary, arrival time µs (the Kafka timestamp), MAX_EVENT_TIME_SKEW µs) -> {@link EventSchema#PARSED}. Nondeterministic for the
   * optimizer only (it is a pure function): a barrier, without which the filters on {@code error} of
   * {@link #validEvents} and {@link #deadLetters} are pushed below this projection and parse every record a second
   * time (EventParserTest counts the calls in the optimized plan).
   */
  private static final UserDefinedFunction PARSE = functions.udf(
      (UDF3<byte[], Long, Long, Row>) (value, now, skew) -> row(EventRecordParser.parse(value, now, skew)), EventSchema.PARSED)
      .asNondeterministic();

  private EventParser() {}

  /**
   * @param kafka rows of Spark's Kafka source
   * @param maxEventTimeSkew MAX_EVENT_TIME_SKEW: an event_time further ahead of the record's Kafka timestamp is
   *     malformed ({@code event_time in future: <text>}), so that a client with a wrong clock cannot move a
   *     watermark. The Kafka timestamp, not a batch's clock: it is part of the record, so every query (ingest in
   *     either trigger, lake, analytics, user-sessions) and every replay gives a record the same verdict. On a
   *     {@code LogAppendTime} topic (the input topic's setting everywhere this project creates it) it is the
   *     broker's clock at arrival; on a {@code CreateTime} topic the producer's, as the start-up line says
   *     ({@code StartupChecks}).
   * @return every record, parsed by {@link EventRecordParser} (one pass over its bytes): key, value, source_topic,
   *     source_partition, source_offset, kafka_timestamp, the contract's fields, and for a malformed record
   *     {@code error} (the message) and {@code reason} (its {@code Reason} code), its other parsed fields null
   */
  public static Dataset<Row> parse(Dataset<Row> kafka, java.time.Duration maxEventTimeSkew) {
    long skewMicros = maxEventTimeSkew.toNanos() / 1000;
    return kafka
        .select(col("key"), col("value"), col("topic").as("source_topic"), col("partition").as("source_partition"),
            col("offset").as("source_offset"), col("timestamp").as("kafka_timestamp"),
            PARSE.apply(col("value"), unix_micros(col("timestamp")), lit(skewMicros)).as("e"))
        .select(col("key"), col("value"), col("source_topic"), col("source_partition"), col("source_offset"),
            col("kafka_timestamp"), col("e.*"));
  }

  private static final EventField[] FIELDS = EventField.values();

  private static Row row(EventRecordParser.Event e) {
    Object[] values = new Object[FIELDS.length + 2];
    for (int i = 0; i < FIELDS.length; i++) {
      values[i] = e.value(FIELDS[i]);
    }
    values[FIELDS.length] = e.error();
    values[FIELDS.length + 1] = e.reason() == null ? null : e.reason().code();
    return RowFactory.create(values);
  }

  /**
   * @param parsed output of {@link #parse}
   * @return valid events: event_id, event_time timestamp, user_id, page_url, event_type, event_date string
   *     (yyyy-MM-dd, UTC; the session time zone must be UTC), kafka_partition int, kafka_offset long,
   *     kafka_timestamp timestamp, product_id, category, price decimal(12,2), quantity int, currency, order_id,
   *     device, country ({@link EventSchema#LAKE})
   */
  public static Dataset<Row> validEvents(Dataset<Row> parsed) {
    java.util.Map<String, Column> computed = java.util.Map.of(
        // the UTC date: a cast in the session time zone (UTC by SparkSessionConfig)
        EventSchema.LAKE_PARTITION, col("event_time").cast(DataTypes.DateType).cast(DataTypes.StringType),
        "kafka_partition", col("source_partition"), "kafka_offset", col("source_offset"));
    return parsed.where(col("error").isNull())
        .select(java.util.Arrays.stream(EventSchema.LAKE.fieldNames())
            .map(c -> computed.getOrDefault(c, col(c)).as(c)).toArray(Column[]::new));
  }

  /**
   * The largest value a dead letter carries, bytes: the input topic's {@code max.message.bytes}. That limit applies
   * to a compressed batch, so an input record's value can be far larger once decompressed (a 10 MiB value of one
   * repeated byte compresses under 1 MiB); its dead-letter copy keeps the first this many bytes, with headers
   * {@code truncated=true} and {@code original_size}, and the whole record stays in the input topic at the offset its
   * headers name. Without the cut, the sink's producer would refuse the record ({@code RecordTooLargeException}, not
   * retried) on every replay of the micro-batch.
   */
  public static final int MAX_DEAD_LETTER_VALUE_BYTES = InputTopic.MAX_MESSAGE_BYTES;
  /** The largest key a dead letter carries, bytes; a longer one is cut likewise ({@code original_key_size}). */
  public static final int MAX_DEAD_LETTER_KEY_BYTES = 32 * 1024;

  /**
   * @param parsed output of {@link #parse}
   * @return malformed records for the dead-letter topic: key and value (the raw record's, byte for byte, up to
   *     {@link #MAX_DEAD_LETTER_KEY_BYTES} and {@link #MAX_DEAD_LETTER_VALUE_BYTES}), headers
   *     array&lt;struct&lt;key string, value binary&gt;&gt; of {@link #deadLetterHeaders}
   */
  public static Dataset<Row> deadLetters(Dataset<Row> parsed) {
    return parsed.where(col("error").isNotNull())
        .select(deadLetterKey().as("key"), deadLetterValue().as("value"), deadLetterHeaders().as("headers"));
  }

  /** @return over rows of {@link #parse}: the dead letter's key, binary: the record's, its first {@link #MAX_DEAD_LETTER_KEY_BYTES} bytes */
  public static Column deadLetterKey() {
    return when(octet_length(col("key")).gt(MAX_DEAD_LETTER_KEY_BYTES), substring(col("key"), 1, MAX_DEAD_LETTER_KEY_BYTES))
        .otherwise(col("key"));
  }

  /**
   * @return over rows of {@link #parse}: the dead letter's value, binary: the record's (empty for a null value), its
   *     first {@link #MAX_DEAD_LETTER_VALUE_BYTES} bytes
   */
  public static Column deadLetterValue() {
    Column value = coalesce(col("value"), lit(new byte[0]));
    return when(octet_length(value).gt(MAX_DEAD_LETTER_VALUE_BYTES), substring(value, 1, MAX_DEAD_LETTER_VALUE_BYTES))
        .otherwise(value);
  }

  /**
   * @return over rows of {@link #parse} with {@code error} set: the dead-letter headers, array&lt;struct&lt;key
   *     string, value binary&gt;&gt; with error (the message), reason (its code, {@code EventContract.REASONS}), source_topic,
   *     source_partition, source_offset, detected_at (ISO-8601 processing time: the micro-batch's timestamp), and for a
   *     copy that was cut: truncated ({@code true}), original_size (the value's bytes) and, when the key was cut,
   *     original_key_size
   */
  public static Column deadLetterHeaders() {
    Column detectedAt = date_format(current_timestamp(), dev.clickstream.contract.EventContract.TIME_WRITTEN);
    Column valueBytes = coalesce(octet_length(col("value")), lit(0));
    Column keyBytes = coalesce(octet_length(col("key")), lit(0));
    Column valueCut = valueBytes.gt(MAX_DEAD_LETTER_VALUE_BYTES);
    Column keyCut = keyBytes.gt(MAX_DEAD_LETTER_KEY_BYTES);
    Column headers = array(
        header("error", col("error")),
        header("reason", col("reason")),
        header("source_topic", col("source_topic")),
        header("source_partition", col("source_partition").cast(DataTypes.StringType)),
        header("source_offset", col("source_offset").cast(DataTypes.StringType)),
        header("detected_at", detectedAt),
        when(valueCut.or(keyCut), header("truncated", lit("true"))),
        when(valueCut.or(keyCut), header("original_size", valueBytes.cast(DataTypes.StringType))),
        when(keyCut, header("original_key_size", keyBytes.cast(DataTypes.StringType))));
    return filter(headers, h -> h.isNotNull());
  }

  private static Column header(String name, Column text) {
    return org.apache.spark.sql.functions.struct(lit(name).as("key"), text.cast(DataTypes.BinaryType).as("value"));
  }

}
