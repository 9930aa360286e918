package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;

/**
 * The records of {@code enriched_activity} (DESIGN §4): a valid event's fields plus its processing time and date.
 *
 * <p>In: the columns of a valid event (event_id, event_time timestamp, user_id, page_url, event_type, product_id,
 * category, price decimal(12,2), quantity int, currency, order_id, device, country). Out: a JSON object of
 * event_id, event_time, user_id, page_url, event_type, processing_time, event_date, then the commerce fields
 * (in JSON a price is a number with its two decimals, an absent field is left out); times are ISO-8601 UTC with
 * milliseconds ({@code 2026-11-23T12:00:00.123Z}), event_date is {@code yyyy-MM-dd} (UTC). processing_time is the
 * micro-batch's start (Spark's current_timestamp() is fixed per micro-batch).
 */
public final class EnrichedEvents {
  private static final String ISO = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";

  private EnrichedEvents() {}

  /** @return the enriched record's JSON text, a string column (the session time zone must be UTC) */
  public static Column json() {
    return to_json(struct(col("event_id"), iso(col("event_time")).as("event_time"), col("user_id"),
        col("page_url"), col("event_type"), iso(current_timestamp()).as("processing_time"),
        // the UTC date: a cast in the session time zone (UTC by SparkSessionConfig)
        col("event_time").cast(DataTypes.DateType).cast(DataTypes.StringType).as("event_date"),
        col("product_id"), col("category"), col("price"), col("quantity"), col("currency"), col("order_id"),
        col("device"), col("country")));
  }

  private static Column iso(Column timestamp) {
    return date_format(timestamp, ISO);
  }
}
