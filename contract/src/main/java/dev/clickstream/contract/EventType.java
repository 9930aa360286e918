package dev.clickstream.contract;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The {@code event_type} values of the {@code user_activity} contract (architecture §3). */
public enum EventType {
  PAGE_VIEW("page_view", true),
  CLICK("click", true),
  SESSION_START("session_start", false),
  SESSION_END("session_end", false),
  ADD_TO_CART("add_to_cart", false),
  PURCHASE("purchase", false);

  private final String wireName;
  private final boolean requiresPageUrl;

  EventType(String wireName, boolean requiresPageUrl) {
    this.wireName = wireName;
    this.requiresPageUrl = requiresPageUrl;
  }

  /** @return the value as it appears in JSON, e.g. {@code page_view} */
  public String wireName() {
    return wireName;
  }

  /** @return whether product_id, category, price and currency must be present (add_to_cart and purchase) */
  public boolean requiresProduct() {
    return this == ADD_TO_CART || this == PURCHASE;
  }

  /** @return whether {@code page_url} must be present (page_view and click) */
  public boolean requiresPageUrl() {
    return requiresPageUrl;
  }

  /**
   * @param wireName a JSON value such as {@code click}
   * @return the type, or empty for an unknown value
   */
  public static Optional<EventType> fromWire(String wireName) {
    return Optional.ofNullable(wireName == null ? null : BY_WIRE_NAME.get(wireName));
  }

  /**
   * Every type by its wire name: the parser and user-sessions look one up per record, where a stream over
   * {@link #values()} cost ~2% of user-sessions' CPU samples (bench/README.md, "Per-row work in user-sessions").
   */
  private static final Map<String, EventType> BY_WIRE_NAME =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(EventType::wireName, t -> t));

  /**
   * @param wireName a JSON value such as {@code click}
   * @return the type
   * @throws IllegalArgumentException for an unknown value (a valid event never has one)
   */
  public static EventType ofWire(String wireName) {
    return fromWire(wireName).orElseThrow(() -> new IllegalArgumentException("unknown event_type " + wireName));
  }
}
