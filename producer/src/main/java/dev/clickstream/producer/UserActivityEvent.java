package dev.clickstream.producer;

import dev.clickstream.contract.EventRecordParser;
import dev.clickstream.contract.EventType;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One user-activity event: the value of a {@code user_activity} record (architecture §3), keyed by {@code userId}.
 * The commerce fields are null when absent.
 *
 * @param eventId unique id (a UUID string); a resend keeps it
 * @param eventTime event time, millisecond precision (finer parts are truncated on the wire)
 * @param userId non-empty user id; also the Kafka key
 * @param pageUrl page path; required for page_view and click, may be null for the other types
 * @param eventType the kind of event
 * @param productId the product; required for add_to_cart and purchase, optional on a product page's view or click
 * @param category the product's category; required for add_to_cart and purchase
 * @param price unit price in {@code currency}, exact, &gt;= 0, at most 2 decimals; required for add_to_cart and purchase
 * @param quantity units, &gt;= 1; null means 1
 * @param currency ISO 4217 code ({@code EUR}); required for add_to_cart and purchase
 * @param orderId the order; required for purchase (one order = one purchase event)
 * @param device {@code desktop}, {@code mobile} or {@code tablet}, or null
 * @param country ISO 3166-1 alpha-2 code ({@code DE}), or null
 */
public record UserActivityEvent(String eventId, Instant eventTime, String userId, String pageUrl, EventType eventType,
    String productId, String category, BigDecimal price, Integer quantity, String currency, String orderId,
    String device, String country) {

  /** @throws IllegalArgumentException naming the first field that breaks the contract (architecture §3) */
  public UserActivityEvent {
    Objects.requireNonNull(eventId, "event_id");
    Objects.requireNonNull(eventTime, "event_time");
    Objects.requireNonNull(eventType, "event_type");
    if (userId == null || userId.isEmpty()) {
      throw new IllegalArgumentException("user_id is required");
    }
    if (eventType.requiresPageUrl() && (pageUrl == null || pageUrl.isEmpty())) {
      throw new IllegalArgumentException("page_url is required for " + eventType.wireName());
    }
    if (eventType.requiresProduct() && (productId == null || category == null || price == null || currency == null)) {
      throw new IllegalArgumentException("product_id, category, price and currency are required for " + eventType.wireName());
    }
    if (eventType == EventType.PURCHASE && orderId == null) {
      throw new IllegalArgumentException("order_id is required for purchase");
    }
    if (price != null && (price.signum() < 0 || price.scale() > 2)) {
      throw new IllegalArgumentException("price must be >= 0 with at most 2 decimals: " + price);
    }
    if (quantity != null && quantity < 1) {
      throw new IllegalArgumentException("quantity must be >= 1: " + quantity);
    }
    if (device != null && !dev.clickstream.contract.EventContract.DEVICES.contains(device)) {
      throw new IllegalArgumentException("unknown device: " + device);
    }
  }

  /**
   * @return this event as the contract's validator gives a valid record: every field (event_type as its wire name),
   *     error and reason null ({@link EventRecordParser.Event#value} reads a field of it)
   */
  public EventRecordParser.Event fields() {
    return new EventRecordParser.Event(eventId, eventTime, userId, pageUrl, eventType.wireName(), productId, category,
        price, quantity, currency, orderId, device, country, null, null);
  }

  /** An event without commerce fields (page views, clicks, session starts and ends of a non-shop site). */
  public UserActivityEvent(String eventId, Instant eventTime, String userId, String pageUrl, EventType eventType) {
    this(eventId, eventTime, userId, pageUrl, eventType, null, null, null, null, null, null, null, null);
  }

  /**
   * @param newTime the event time to use instead
   * @return a copy of this event at {@code newTime}
   */
  public UserActivityEvent withEventTime(Instant newTime) {
    return new UserActivityEvent(eventId, newTime, userId, pageUrl, eventType, productId, category, price, quantity,
        currency, orderId, device, country);
  }

  /** @return quantity, 1 when absent */
  public int units() {
    return quantity == null ? 1 : quantity;
  }

  /** @return price x units, exact (scale 2); null without a price */
  public BigDecimal amount() {
    return price == null ? null : price.multiply(BigDecimal.valueOf(units())).setScale(2);
  }
}
