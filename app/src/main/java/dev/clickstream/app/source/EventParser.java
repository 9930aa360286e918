package dev.clickstream.app.source;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.unix_micros;

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
import org.apache.spark.sql.types.StructType;

/**
 * Parses Kafka records against the contract (DESIGN §3) and classifies each as valid or malformed: the Spark
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
 * has a stable code ({@code EventContract.REASONS}, {@link #reason}) for dead-letter headers and metric labels. Money is exact:
 * the price is the number as written, decimal(12,2), never a double.
 *
 * <p>Why not Spark's {@code from_json}: it gives a number read into a string field as its text and a price as the
 * text of a double, so every rule needed a look at the raw record (regexes, one cast of the value per check),
 * several times the cost of the one pass (bench/README.md, "Figures moved out of the code").
 */
public final class EventParser {
  /** The parsed fields of a record (the struct of the parsing function): {@link EventRecordParser.Event}'s. */
  private static final StructType PARSED = new StructType()
      .add("event_id", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType)
      .add("user_id", DataTypes.StringType)
      .add("page_url", DataTypes.StringType)
      .add("event_type", DataTypes.StringType)
      .add("product_id", DataTypes.StringType)
      .add("category", DataTypes.StringType)
      .add("price", EventSchema.PRICE)
      .add("quantity", DataTypes.IntegerType)
      .add("currency", DataTypes.StringType)
      .add("order_id", DataTypes.StringType)
      .add("device", DataTypes.StringType)
      .add("country", DataTypes.StringType)
      .add("error", DataTypes.StringType);

  /**
   * (value binary, processing time µs, MAX_EVENT_TIME_SKEW µs) -> {@link #PARSED}. Nondeterministic for the
   * optimizer only (it is a pure function): a barrier, without which the filters on {@code error} of
   * {@link #validEvents} and {@link #deadLetters} are pushed below this projection and parse every record a second
   * time (EventParserTest counts the calls in the optimized plan).
   */
  private static final UserDefinedFunction PARSE = functions.udf(
      (UDF3<byte[], Long, Long, Row>) (value, now, skew) -> row(EventRecordParser.parse(value, now, skew)), PARSED)
      .asNondeterministic();

  private EventParser() {}

  /**
   * @param error the {@code error} column of {@link #parse}, e.g. {@code unknown event_type: add_to_wishlist}
   * @return its reason code, e.g. {@code unknown_event_type} (one of {@code EventContract.REASONS}); null for a valid record
   */
  public static Column reason(Column error) {
    return regexp_replace(trim(lower(regexp_extract(error, "^([^:(]*)", 1))), " +", "_");
  }

  /**
   * @param kafka rows of Spark's Kafka source
   * @param maxEventTimeSkew MAX_EVENT_TIME_SKEW: an event_time further ahead of the processing time is malformed
   *     ({@code event_time in future: <text>}), so that a client with a wrong clock cannot move a watermark
   *     (DESIGN §3). The processing time is Spark's {@code current_timestamp()}, which in a streaming query is the
   *     micro-batch's timestamp from the offset log: a replayed micro-batch classifies every record the same way.
   * @return every record, parsed by {@link EventRecordParser} (one pass over its bytes), with {@code error} set for
   *     malformed ones (their other parsed fields null)
   */
  public static Dataset<Row> parse(Dataset<Row> kafka, java.time.Duration maxEventTimeSkew) {
    long skewMicros = maxEventTimeSkew.toNanos() / 1000;
    return kafka
        .select(col("key"), col("value"), col("topic").as("source_topic"), col("partition").as("source_partition"),
            col("offset").as("source_offset"), col("timestamp").as("kafka_timestamp"),
            PARSE.apply(col("value"), unix_micros(current_timestamp()), lit(skewMicros)).as("e"))
        .select(col("key"), col("value"), col("source_topic"), col("source_partition"), col("source_offset"),
            col("kafka_timestamp"), col("e.*"));
  }

  private static Row row(EventRecordParser.Event e) {
    return RowFactory.create(e.eventId(), e.eventTime(), e.userId(), e.pageUrl(), e.eventType(), e.productId(),
        e.category(), e.price(), e.quantity(), e.currency(), e.orderId(), e.device(), e.country(), e.error());
  }

  /**
   * @param parsed output of {@link #parse}
   * @return valid events: event_id, event_time timestamp, user_id, page_url, event_type, event_date string
   *     (yyyy-MM-dd, UTC; the session time zone must be UTC), kafka_partition int, kafka_offset long,
   *     kafka_timestamp timestamp, product_id, category, price decimal(12,2), quantity int, currency, order_id,
   *     device, country ({@link EventSchema#LAKE})
   */
  public static Dataset<Row> validEvents(Dataset<Row> parsed) {
    return parsed.where(col("error").isNull())
        .select(col("event_id"), col("event_time"), col("user_id"), col("page_url"), col("event_type"),
            // the UTC date: a cast in the session time zone (UTC by sessionConfig)
            col("event_time").cast(DataTypes.DateType).cast(DataTypes.StringType).as("event_date"),
            col("source_partition").as("kafka_partition"), col("source_offset").as("kafka_offset"),
            col("kafka_timestamp"), col("product_id"), col("category"), col("price"), col("quantity"), col("currency"),
            col("order_id"), col("device"), col("country"));
  }

  /**
   * @param parsed output of {@link #parse}
   * @return malformed records for the dead-letter topic: key, value (the raw record, unchanged), headers
   *     array&lt;struct&lt;key string, value binary&gt;&gt; with error (the message), reason (its code,
   *     {@code EventContract.REASONS}), source_topic, source_partition,
   *     source_offset, detected_at (ISO-8601 processing time)
   */
  public static Dataset<Row> deadLetters(Dataset<Row> parsed) {
    return parsed.where(col("error").isNotNull())
        .select(col("key"), coalesce(col("value"), lit(new byte[0])).as("value"), deadLetterHeaders().as("headers"));
  }

  /**
   * @return over rows of {@link #parse} with {@code error} set: the dead-letter headers, array&lt;struct&lt;key
   *     string, value binary&gt;&gt; with error (the message), reason (its code, {@code EventContract.REASONS}), source_topic,
   *     source_partition, source_offset, detected_at (ISO-8601 processing time: the micro-batch's timestamp)
   */
  public static Column deadLetterHeaders() {
    Column detectedAt = date_format(current_timestamp(), "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
    return org.apache.spark.sql.functions.array(
        header("error", col("error")),
        header("reason", reason(col("error"))),
        header("source_topic", col("source_topic")),
        header("source_partition", col("source_partition").cast(DataTypes.StringType)),
        header("source_offset", col("source_offset").cast(DataTypes.StringType)),
        header("detected_at", detectedAt));
  }

  private static Column header(String name, Column text) {
    return org.apache.spark.sql.functions.struct(lit(name).as("key"), text.cast(DataTypes.BinaryType).as("value"));
  }

}
