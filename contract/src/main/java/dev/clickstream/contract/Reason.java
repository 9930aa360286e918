package dev.clickstream.contract;

import java.util.Locale;

/**
 * Why a record is malformed (architecture §3), in the order {@link EventRecordParser} checks: a record gets the
 * first that applies. {@link #code()} is the dead letter's {@code reason} header and the {@code reason} label of
 * {@code clickstream_dead_letters_total}; the message beside it ({@code error}) says what exactly failed.
 */
public enum Reason {
  RECORD_TOO_LARGE,
  NOT_JSON,
  EVENT_ID_IS_MISSING,
  EVENT_TIME_IS_MISSING,
  USER_ID_IS_MISSING,
  EVENT_TYPE_IS_MISSING,
  WRONG_TYPE,
  NUL_CHARACTER,
  INVALID_UNICODE,
  FIELD_TOO_LONG,
  UNPARSABLE_EVENT_TIME,
  EVENT_TIME_IN_FUTURE,
  UNKNOWN_EVENT_TYPE,
  PAGE_URL_IS_MISSING,
  PRODUCT_ID_IS_MISSING,
  CATEGORY_IS_MISSING,
  PRICE_IS_MISSING,
  CURRENCY_IS_MISSING,
  ORDER_ID_IS_MISSING,
  INVALID_PRICE,
  INVALID_QUANTITY,
  INVALID_CURRENCY,
  UNKNOWN_DEVICE,
  INVALID_COUNTRY;

  /** @return the stable code, the name in lower case, e.g. {@code unparsable_event_time} */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param field a field of the contract that a rule may require, e.g. {@code order_id}
   * @return the reason of its absence, e.g. {@link #ORDER_ID_IS_MISSING}
   * @throws IllegalArgumentException for a field no rule requires (price's absence has a reason, quantity's not)
   */
  public static Reason missing(String field) {
    return valueOf(field.toUpperCase(Locale.ROOT) + "_IS_MISSING");
  }
}
