package dev.clickstream.app.source;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

/**
 * Parses Kafka records against {@link EventSchema} and classifies each as valid or malformed.
 *
 * <p>In: Spark's Kafka rows (key, value binary, topic, partition, offset, timestamp). Out of {@link #parse}:
 * key binary, value binary (the raw record), source_topic string, source_partition int, source_offset long,
 * kafka_timestamp timestamp, event_id string, event_time timestamp, user_id string, page_url string,
 * event_type string, product_id string, category string, price decimal(12,2), quantity int, currency string,
 * order_id string, device string, country string, error string (null when valid).
 *
 * <p>A record is malformed, with the first matching reason, when: it is not a JSON object ({@code not JSON};
 * single quotes, which Spark's JSON reader accepts by default, are not JSON); event_id, event_time, user_id or
 * event_type is missing, null or empty ({@code <field> is missing}); a string field of the contract is not a string
 * ({@code wrong type: <field> must be a string}: Spark's reader would turn a number into its text); price or
 * quantity is not a number ({@code wrong type: price must be a number}); event_time is not an ISO-8601 instant with
 * an offset ({@code unparsable event_time: <text>}), or is more than MAX_EVENT_TIME_SKEW ahead of the processing
 * time ({@code event_time in future: <text>}); event_type is not one of the six ({@code unknown event_type:
 * <text>}); page_url is missing for page_view or click; product_id, category, price or currency is missing for
 * add_to_cart or purchase, order_id for purchase ({@code <field> is missing (required for <type>)}); the price as
 * written is negative, has more than 2 decimals or an exponent ({@code invalid price: <text>}); the quantity is not
 * an integer from 1 to 999,999,999 ({@code invalid quantity}); currency is not three capital letters ({@code invalid
 * currency}); device is not desktop, mobile or tablet ({@code unknown device}); country is not two capital letters
 * ({@code invalid country}). An empty string counts as an absent field. The producer's {@code EventCodec} applies
 * the same rules in the same order; both are tested against one table of cases (the test kit's
 * {@code ContractCases}). Each reason has a stable code ({@link #REASONS}, {@link #reason}) for dead-letter
 * headers and metric labels.
 *
 * <p>Money is exact: price is taken from the record's text as written (Spark's JSON reader would give a number read
 * as a string as the text of a double) and cast to decimal(12,2), never through a double.
 */
public final class EventParser {
  /** ISO-8601 date-time with a mandatory offset (Z or +hh:mm); Spark's cast also accepts forms without one. */
  static final String ISO_INSTANT = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})$";

  private static final org.apache.spark.sql.expressions.UserDefinedFunction MATERIALIZE = org.apache.spark.sql.functions
      .udf((org.apache.spark.sql.api.java.UDF1<String, String>) v -> v, DataTypes.StringType)
      .asNondeterministic();

  /**
   * The stable reason codes of malformed records, in the order the checks run: the {@code reason} header of a
   * dead letter and the {@code reason} label of {@code clickstream_dead_letters_total}. A code is its message
   * up to the first {@code :} or {@code (}, lower case, spaces as underscores ({@link #reason}).
   */
  public static final List<String> REASONS = List.of("not_json", "event_id_is_missing", "event_time_is_missing",
      "user_id_is_missing", "event_type_is_missing", "wrong_type", "unparsable_event_time", "event_time_in_future",
      "unknown_event_type", "page_url_is_missing", "product_id_is_missing", "category_is_missing", "price_is_missing",
      "currency_is_missing", "order_id_is_missing", "invalid_price", "invalid_quantity", "invalid_currency",
      "unknown_device", "invalid_country");

  /**
   * A contract field whose value is a number, boolean, object or array rather than a string (group 1: the field).
   * A key inside a string value is escaped ({@code \"user_id\":1}) and does not match.
   */
  static final String NOT_A_STRING = "\"(" + String.join("|", EventSchema.STRING_FIELDS) + ")\"\\s*:\\s*[-0-9tf{\\[]";

  /** price or quantity given as something other than a number or null (group 1: the field). */
  static final String NOT_A_NUMBER = "\"(price|quantity)\"\\s*:\\s*(?!null)[^-0-9\\s]";

  /** A price as written: digits, at most 10 before and 2 after the point, no sign, no exponent (numeric(12,2)). */
  static final String PRICE = "^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$";
  /** A quantity as written: an integer from 1 to 999,999,999. */
  static final String QUANTITY = "^[1-9][0-9]{0,8}$";

  /**
   * @param field price or quantity
   * @return a regex whose group 1 is that field's number as written in a JSON object (not a key inside a string)
   */
  static String numberAsWritten(String field) {
    return "(?<!\\\\)\"" + field + "\"\\s*:\\s*(-?[0-9][^,}\\s]*)";
  }

  private EventParser() {}

  /**
   * @param error the {@code error} column of {@link #parse}, e.g. {@code unknown event_type: add_to_wishlist}
   * @return its reason code, e.g. {@code unknown_event_type} (one of {@link #REASONS}); null for a valid record
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
   * @return every record, parsed, with {@code error} set for malformed ones
   */
  public static Dataset<Row> parse(Dataset<Row> kafka, java.time.Duration maxEventTimeSkew) {
    Column json = from_json(col("value").cast(DataTypes.StringType), EventSchema.JSON,
        // JSON has no single-quoted strings; Spark's reader allows them unless told (JSON data source options)
        Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", EventSchema.CORRUPT_RECORD, "allowSingleQuotes", "false"));
    Dataset<Row> parsed = kafka
        .select(col("key"), col("value"), col("topic").as("source_topic"), col("partition").as("source_partition"),
            col("offset").as("source_offset"), col("timestamp").as("kafka_timestamp"), json.as("e"))
        .select(col("key"), col("value"), col("source_topic"), col("source_partition"), col("source_offset"),
            col("kafka_timestamp"), col("e.*"));
    // price and quantity as written in the record (read once here), not Spark's text of a double
    Column value = col("value").cast(DataTypes.StringType);
    parsed = parsed
        .withColumn("price", when(col("price").isNotNull(), regexp_extract(value, numberAsWritten("price"), 1)))
        .withColumn("quantity", when(col("quantity").isNotNull(), regexp_extract(value, numberAsWritten("quantity"), 1)));
    Column timeText = col("event_time");
    Column eventTime = when(timeText.rlike(ISO_INSTANT), timeText.try_cast(DataTypes.TimestampType));
    Column emptyValue = col("value").isNull().or(trim(col("value").cast(DataTypes.StringType)).equalTo(""));
    // a field that is not a string: Spark's reader gives its text, so look at the record. Records as the producer
    // writes them (compact JSON) show each present field as "name":" and skip the regex, which on every record
    // made parsing ~25% slower (an A/B of make bench's profile run); others (spaces, wrong types) take the regex.
    // contains() compares a first byte before a match, instr() a whole match at every position: ~3x faster here
    Column compactStrings = lit(true);
    for (String field : EventSchema.STRING_FIELDS) {
      Column compact = value.contains("\"" + field + "\":\"");
      compactStrings = compactStrings.and(List.of("event_id", "event_time", "user_id", "event_type").contains(field)
          ? compact : col(field).isNull().or(compact));
    }
    Column notAString = regexp_extract(value, NOT_A_STRING, 1);
    Column notANumber = regexp_extract(value, NOT_A_NUMBER, 1);
    Column commerce = col("event_type").isin(EventSchema.TYPES_WITH_PRODUCT.toArray());
    Column skew = expr("make_dt_interval(0, 0, 0, " + maxEventTimeSkew.toMillis() / 1000.0 + ")");
    Column error = when(emptyValue, lit("not JSON: empty value"))
        .when(col(EventSchema.CORRUPT_RECORD).isNotNull(), lit("not JSON"))
        .when(missing("event_id"), lit("event_id is missing"))
        .when(missing("event_time"), lit("event_time is missing"))
        .when(missing("user_id"), lit("user_id is missing"))
        .when(missing("event_type"), lit("event_type is missing"))
        .when(not(compactStrings).and(notAString.notEqual("")), concat(lit("wrong type: "), notAString, lit(" must be a string")))
        .when(col("price").isNotNull().or(col("quantity").isNotNull()).and(notANumber.notEqual("")),
            concat(lit("wrong type: "), notANumber, lit(" must be a number")))
        .when(eventTime.isNull(), concat(lit("unparsable event_time: "), timeText))
        .when(eventTime.gt(current_timestamp().plus(skew)), concat(lit("event_time in future: "), timeText))
        .when(not(col("event_type").isin(EventSchema.EVENT_TYPES.toArray())), concat(lit("unknown event_type: "), col("event_type")))
        .when(col("event_type").isin(EventSchema.TYPES_WITH_PAGE.toArray()).and(missing("page_url")),
            concat(lit("page_url is missing (required for "), col("event_type"), lit(")")))
        .when(commerce.and(missing("product_id")), requiredFor("product_id"))
        .when(commerce.and(missing("category")), requiredFor("category"))
        .when(commerce.and(missing("price")), requiredFor("price"))
        .when(commerce.and(missing("currency")), requiredFor("currency"))
        .when(col("event_type").equalTo("purchase").and(missing("order_id")), requiredFor("order_id"))
        .when(col("price").isNotNull().and(not(col("price").rlike(PRICE))), concat(lit("invalid price: "), col("price")))
        .when(col("quantity").isNotNull().and(not(col("quantity").rlike(QUANTITY))),
            concat(lit("invalid quantity: "), col("quantity")))
        .when(not(missing("currency")).and(not(col("currency").rlike("^[A-Z]{3}$"))),
            concat(lit("invalid currency: "), col("currency")))
        .when(not(missing("device")).and(not(col("device").isin(EventSchema.DEVICES.toArray()))),
            concat(lit("unknown device: "), col("device")))
        .when(not(missing("country")).and(not(col("country").rlike("^[A-Z]{2}$"))),
            concat(lit("invalid country: "), col("country")));
    // error first: it reads event_time as the text it was, before the column becomes a timestamp. The error
    // column goes through a nondeterministic identity, a barrier for the optimizer: otherwise the filters on
    // `error` downstream are pushed below this projection with from_json inlined once per field the CASE reads,
    // which parsed every record ~10 times and cut throughput ~3x (measured with a noop sink, 2 cores).
    Dataset<Row> classified = parsed
        .withColumn("error", MATERIALIZE.apply(error))
        .withColumn("event_time", eventTime)
        .withColumn("price", col("price").try_cast(EventSchema.PRICE))
        .withColumn("quantity", col("quantity").try_cast(DataTypes.IntegerType));
    for (String field : List.of("product_id", "category", "currency", "order_id", "device", "country")) {
      classified = classified.withColumn(field, when(col(field).notEqual(""), col(field))); // empty = absent
    }
    return classified.drop(EventSchema.CORRUPT_RECORD);
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
   *     {@link #REASONS}), source_topic, source_partition,
   *     source_offset, detected_at (ISO-8601 processing time)
   */
  public static Dataset<Row> deadLetters(Dataset<Row> parsed) {
    Column detectedAt = date_format(current_timestamp(), "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
    return parsed.where(col("error").isNotNull())
        .select(col("key"), coalesce(col("value"), lit(new byte[0])).as("value"),
            org.apache.spark.sql.functions.array(
                header("error", col("error")),
                header("reason", reason(col("error"))),
                header("source_topic", col("source_topic")),
                header("source_partition", col("source_partition").cast(DataTypes.StringType)),
                header("source_offset", col("source_offset").cast(DataTypes.StringType)),
                header("detected_at", detectedAt)).as("headers"));
  }

  private static Column header(String name, Column text) {
    return org.apache.spark.sql.functions.struct(lit(name).as("key"), text.cast(DataTypes.BinaryType).as("value"));
  }

  private static Column requiredFor(String field) {
    return concat(lit(field + " is missing (required for "), col("event_type"), lit(")"));
  }

  private static Column missing(String field) {
    return col(field).isNull().or(col(field).equalTo(""));
  }

  private static Column not(Column c) {
    return org.apache.spark.sql.functions.not(c);
  }
}
