package dev.clickstream.app.source;

import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The explicit schema of {@code user_activity} values (DESIGN §3) and the contract's constants. */
public final class EventSchema {
  /** Column that receives the raw text of a value that is not JSON (Spark's columnNameOfCorruptRecord). */
  public static final String CORRUPT_RECORD = "_corrupt_record";

  /** The four event types of the contract. */
  public static final List<String> EVENT_TYPES = List.of("page_view", "click", "session_start", "session_end");

  /** Event types that must carry a page_url. */
  public static final List<String> TYPES_WITH_PAGE = List.of("page_view", "click");

  /**
   * The JSON fields read from a value, all as strings so that parsing and validation are ours:
   * event_id, event_time, user_id, page_url, event_type, plus {@link #CORRUPT_RECORD}. Unknown fields are ignored.
   */
  public static final StructType JSON = new StructType()
      .add("event_id", DataTypes.StringType)
      .add("event_time", DataTypes.StringType)
      .add("user_id", DataTypes.StringType)
      .add("page_url", DataTypes.StringType)
      .add("event_type", DataTypes.StringType)
      .add(CORRUPT_RECORD, DataTypes.StringType);

  /**
   * Columns of the lake table {@code ${LAKE_PATH}/events} (DESIGN §4), i.e. of {@link EventParser#validEvents}:
   * event_id string, event_time timestamp, user_id string, page_url string, event_type string, event_date string
   * ({@code yyyy-MM-dd}, UTC; the partition column), kafka_partition int, kafka_offset long, kafka_timestamp
   * timestamp.
   */
  public static final StructType LAKE = new StructType()
      .add("event_id", DataTypes.StringType)
      .add("event_time", DataTypes.TimestampType)
      .add("user_id", DataTypes.StringType)
      .add("page_url", DataTypes.StringType)
      .add("event_type", DataTypes.StringType)
      .add("event_date", DataTypes.StringType)
      .add("kafka_partition", DataTypes.IntegerType)
      .add("kafka_offset", DataTypes.LongType)
      .add("kafka_timestamp", DataTypes.TimestampType);

  /** The lake's partition column. */
  public static final String LAKE_PARTITION = "event_date";

  private EventSchema() {}
}
