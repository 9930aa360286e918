package dev.clickstream.app.analytics;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.clickstream.contract.EventContract;
import dev.clickstream.contract.EventField;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;

/**
 * The records of {@code enriched_activity} (architecture §4): a valid event's fields plus its processing time and date.
 *
 * <p>In: the columns of a valid event (event_id, event_time timestamp, user_id, page_url, event_type, product_id,
 * category, price decimal(12,2), quantity int, currency, order_id, device, country). Out: a JSON object of
 * event_id, event_time, user_id, page_url, event_type, processing_time, event_date, then the commerce fields
 * (in JSON a price is a number with its two decimals, an absent field is left out); times are ISO-8601 UTC with
 * milliseconds ({@code 2026-11-23T12:00:00.123Z}), event_date is {@code yyyy-MM-dd} (UTC). processing_time is the
 * micro-batch's start (Spark's current_timestamp() is fixed per micro-batch).
 */
public final class EnrichedEvents {

  private EnrichedEvents() {}

  /** @return the enriched record's JSON text, a string column (the session time zone must be UTC) */
  public static Column json() {
    List<Column> fields = new ArrayList<>();
    EventField.core().forEach(f -> fields.add(field(f)));
    fields.add(iso(current_timestamp()).as("processing_time"));
    // the UTC date: a cast in the session time zone (UTC by SparkSessionConfig)
    fields.add(col("event_time").cast(DataTypes.DateType).cast(DataTypes.StringType).as("event_date"));
    EventField.commerceFields().forEach(f -> fields.add(field(f)));
    return to_json(struct(fields.toArray(new Column[0])));
  }

  /** @return the field's column, an instant as ISO-8601 text */
  private static Column field(EventField f) {
    return f.type() == EventField.Type.TIME ? iso(col(f.fieldName())).as(f.fieldName()) : col(f.fieldName());
  }

  private static Column iso(Column timestamp) {
    return date_format(timestamp, EventContract.TIME_WRITTEN);
  }
}
