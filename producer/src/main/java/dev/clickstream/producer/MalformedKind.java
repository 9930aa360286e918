package dev.clickstream.producer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clickstream.contract.EventField;
import dev.clickstream.contract.EventType;

/**
 * The kinds of deliberately malformed records the producer sends ({@code --malformed-every}), in rotation.
 * Each must be routed to the dead-letter topic downstream.
 */
public enum MalformedKind {
  /** Truncated JSON text. */
  NOT_JSON,
  /** A JSON object without {@code user_id}. */
  MISSING_USER_ID,
  /** {@code event_time} that is not an ISO-8601 instant. */
  BAD_EVENT_TIME,
  /** {@code event_type} outside the contract's values. */
  UNKNOWN_EVENT_TYPE,
  /** A purchase without {@code order_id}. */
  MISSING_ORDER_ID,
  /** A negative {@code price}. */
  NEGATIVE_PRICE;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * @param base a valid event to damage
   * @return the record value with this damage
   */
  public String render(UserActivityEvent base) {
    String json = EventCodec.toJson(base);
    return switch (this) {
      case NOT_JSON -> json.substring(0, json.length() / 2);
      case MISSING_USER_ID -> edit(json, node -> node.remove(EventField.USER_ID.fieldName()));
      case BAD_EVENT_TIME -> edit(json, node -> node.put(EventField.EVENT_TIME.fieldName(),
          "yesterday at " + base.eventTime().getEpochSecond() % 24 + "h"));
      case UNKNOWN_EVENT_TYPE -> edit(json, node -> node.put(EventField.EVENT_TYPE.fieldName(), "add_to_wishlist"));
      case MISSING_ORDER_ID -> edit(json, node -> {
        node.put(EventField.EVENT_TYPE.fieldName(), EventType.PURCHASE.wireName());
        node.put(EventField.PRODUCT_ID.fieldName(), "p-0001");
        node.put(EventField.CATEGORY.fieldName(), "books");
        node.put(EventField.PRICE.fieldName(), new java.math.BigDecimal("9.99"));
        node.put(EventField.CURRENCY.fieldName(), "EUR");
        node.remove(EventField.ORDER_ID.fieldName());
      });
      case NEGATIVE_PRICE -> edit(json, node -> node.put(EventField.PRICE.fieldName(), new java.math.BigDecimal("-1.00")));
    };
  }

  private static String edit(String json, java.util.function.Consumer<ObjectNode> change) {
    try {
      ObjectNode node = (ObjectNode) MAPPER.readTree(json);
      change.accept(node);
      return node.toString();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("codec produced invalid JSON: " + json, e);
    }
  }
}
