package dev.clickstream.app.source;

import dev.clickstream.contract.EventField;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code user_activity} contract's Spark types (architecture §3), derived from {@link EventField}: the parsed
 * record's and the lake table's columns (§4). The rules are {@code EventRecordParser}'s.
 */
public final class EventSchema {
  /** The unit price's type: numeric(12,2) in Postgres, exact (architecture §3: money is never a float). */
  public static final DecimalType PRICE = DataTypes.createDecimalType(12, 2);

  /**
   * @param field a field of the contract
   * @return its Spark type: string, timestamp (event_time), decimal(12,2) (price) or int (quantity)
   */
  public static DataType sparkType(EventField field) {
    return switch (field.type()) {
      case STRING -> DataTypes.StringType;
      case TIME -> DataTypes.TimestampType;
      case PRICE -> PRICE;
      case QUANTITY -> DataTypes.IntegerType;
    };
  }

  /**
   * A parsed record's fields (the struct of {@link EventParser}'s parsing function): every {@link EventField} in
   * order with its {@link #sparkType}, then error string (the validator's message) and reason string (its
   * {@code Reason} code), both null for a valid record.
   */
  public static final StructType PARSED = fields(new StructType(), EventField.values())
      .add("error", DataTypes.StringType)
      .add("reason", DataTypes.StringType);

  /**
   * The commerce columns of the lake, added to the first version's table by {@code ALTER TABLE ADD COLUMNS}
   * (architecture §3): product_id string, category string, price decimal(12,2), quantity int, currency string, order_id
   * string, device string, country string; null when the event has no such field.
   */
  public static final StructType COMMERCE = fields(new StructType(), EventField.commerceFields().toArray(new EventField[0]));

  /** The lake's partition column: the event's UTC date, {@code yyyy-MM-dd}. */
  public static final String LAKE_PARTITION = "event_date";

  /**
   * Columns of the lake table {@code ${LAKE_PATH}/events} (architecture §4), i.e. of {@link EventParser#validEvents}:
   * the first contract's fields (event_id string, event_time timestamp, user_id string, page_url string, event_type
   * string), event_date string ({@code yyyy-MM-dd}, UTC; the partition column), kafka_partition int, kafka_offset
   * long, kafka_timestamp timestamp, then the {@link #COMMERCE} columns.
   */
  public static final StructType LAKE = withColumns(fields(new StructType(), EventField.core().toArray(new EventField[0]))
      .add(LAKE_PARTITION, DataTypes.StringType)
      .add("kafka_partition", DataTypes.IntegerType)
      .add("kafka_offset", DataTypes.LongType)
      .add("kafka_timestamp", DataTypes.TimestampType), COMMERCE);

  private static StructType withColumns(StructType schema, StructType more) {
    for (org.apache.spark.sql.types.StructField f : more.fields()) {
      schema = schema.add(f);
    }
    return schema;
  }

  private static StructType fields(StructType schema, EventField... fields) {
    for (EventField f : fields) {
      schema = schema.add(f.fieldName(), sparkType(f));
    }
    return schema;
  }

  private EventSchema() {}
}
