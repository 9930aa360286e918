package dev.clickstream.app.source;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The {@code user_activity} contract's Spark types (DESIGN §3; the rules are {@code EventContract}'s) and the lake table's columns (§4). */
public final class EventSchema {
  /** The unit price's type: numeric(12,2) in Postgres, exact (DESIGN §3: money is never a float). */
  public static final org.apache.spark.sql.types.DecimalType PRICE = DataTypes.createDecimalType(12, 2);

  /**
   * The commerce columns of the lake, added to the first version's table by {@code ALTER TABLE ADD COLUMNS}
   * (DESIGN §3): product_id string, category string, price decimal(12,2), quantity int, currency string, order_id
   * string, device string, country string; null when the event has no such field.
   */
  public static final StructType COMMERCE = new StructType()
      .add("product_id", DataTypes.StringType)
      .add("category", DataTypes.StringType)
      .add("price", PRICE)
      .add("quantity", DataTypes.IntegerType)
      .add("currency", DataTypes.StringType)
      .add("order_id", DataTypes.StringType)
      .add("device", DataTypes.StringType)
      .add("country", DataTypes.StringType);

  /**
   * Columns of the lake table {@code ${LAKE_PATH}/events} (DESIGN §4), i.e. of {@link EventParser#validEvents}:
   * event_id string, event_time timestamp, user_id string, page_url string, event_type string, event_date string
   * ({@code yyyy-MM-dd}, UTC; the partition column), kafka_partition int, kafka_offset long, kafka_timestamp
   * timestamp, then the {@link #COMMERCE} columns.
   */
  public static final StructType LAKE = withColumns(new StructType()
      .add("event_id", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType)
      .add("user_id", DataTypes.StringType)
      .add("page_url", DataTypes.StringType)
      .add("event_type", DataTypes.StringType)
      .add("event_date", DataTypes.StringType)
      .add("kafka_partition", DataTypes.IntegerType)
      .add("kafka_offset", DataTypes.LongType)
      .add("kafka_timestamp", DataTypes.TimestampType), COMMERCE);

  private static StructType withColumns(StructType schema, StructType more) {
    for (org.apache.spark.sql.types.StructField f : more.fields()) {
      schema = schema.add(f);
    }
    return schema;
  }

  /** The lake's partition column. */
  public static final String LAKE_PARTITION = "event_date";

  private EventSchema() {}
}
