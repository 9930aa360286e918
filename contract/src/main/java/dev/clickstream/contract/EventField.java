package dev.clickstream.contract;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The fields of a {@code user_activity} event (architecture §3), in the contract's order: the one table from which
 * the validator's slots ({@link EventRecordParser}), the Spark schemas of the application (parsed, lake, enriched)
 * and the producer's JSON derive. The rules of each field are {@link EventRecordParser}'s.
 */
public enum EventField {
  EVENT_ID(Type.STRING, false),
  EVENT_TIME(Type.TIME, false),
  USER_ID(Type.STRING, false),
  PAGE_URL(Type.STRING, false),
  EVENT_TYPE(Type.STRING, false),
  PRODUCT_ID(Type.STRING, true),
  CATEGORY(Type.STRING, true),
  PRICE(Type.PRICE, true),
  QUANTITY(Type.QUANTITY, true),
  CURRENCY(Type.STRING, true),
  ORDER_ID(Type.STRING, true),
  DEVICE(Type.STRING, true),
  COUNTRY(Type.STRING, true);

  /** A field's value: its JSON form, and what it is once parsed. */
  public enum Type {
    /** A JSON string, a string once parsed. */
    STRING,
    /** A JSON string, an ISO-8601 instant with an offset ({@link EventContract#ISO_INSTANT}): an instant, µs. */
    TIME,
    /** A JSON number as written ({@link EventContract#PRICE}): an exact decimal with scale 0 to 2. */
    PRICE,
    /** A JSON number ({@link EventContract#QUANTITY}): an int. */
    QUANTITY
  }

  private final Type type;
  private final boolean commerce;

  EventField(Type type, boolean commerce) {
    this.type = type;
    this.commerce = commerce;
  }

  /** @return its JSON name, e.g. {@code event_time} */
  public String fieldName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @return its value's type */
  public Type type() {
    return type;
  }

  /**
   * @return whether it came with the commerce tables: the lake table's columns after the Kafka coordinates (added
   *     to the first table by {@code ALTER TABLE ADD COLUMNS}), the enriched record's fields after event_date
   */
  public boolean commerce() {
    return commerce;
  }

  /** @return the fields of the first contract (event_id, event_time, user_id, page_url, event_type), in order */
  public static List<EventField> core() {
    return Arrays.stream(values()).filter(f -> !f.commerce).toList();
  }

  /** @return the commerce fields (product_id to country), in order */
  public static List<EventField> commerceFields() {
    return Arrays.stream(values()).filter(f -> f.commerce).toList();
  }
}
