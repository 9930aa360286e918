package dev.clickstream.contract;

import java.util.List;
import java.util.Locale;

/**
 * The {@code user_activity} contract's fields, bounds and reason codes (DESIGN §3), in one place for the producer
 * and the Spark application; {@link EventRecordParser} applies them and {@link EventType} names the event types.
 */
public final class EventContract {
  private EventContract() {}

  /** Every field of the contract, in its order. */
  public static final List<String> FIELDS = List.of("event_id", "event_time", "user_id", "page_url", "event_type",
      "product_id", "category", "price", "quantity", "currency", "order_id", "device", "country");
  /** The contract's fields whose values are JSON numbers. */
  public static final List<String> NUMBERS = List.of("price", "quantity");
  /** The devices of the contract. */
  public static final List<String> DEVICES = List.of("desktop", "mobile", "tablet");

  /** The largest record value, UTF-8 bytes: a larger one is malformed ({@code record_too_large}). */
  public static final int MAX_RECORD_BYTES = 64 * 1024;
  /** The longest event_id, user_id, product_id, category and order_id, UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 256;
  /** The longest page_url, UTF-8 bytes (a btree index row of Postgres holds at most 2,704 bytes). */
  public static final int MAX_PAGE_URL_BYTES = 2048;
  /** The longest error message, UTF-8 bytes (the dead letter's {@code error} header). */
  public static final int MAX_ERROR_BYTES = 1024;

  /** ISO-8601 date-time with a mandatory offset (Z, +hh:mm or +hhmm); seconds and a fraction of 1-9 digits optional. */
  public static final String ISO_INSTANT =
      "^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(?:Z|([+-])(\\d{2}):?(\\d{2}))$";
  /**
   * A price as written: below 10,000,000, at most 2 decimals, no sign, no exponent. With {@link #QUANTITY} an order
   * line is below 10^11, so a window's revenue fits numeric(38,2) for any number of events Spark can sum.
   */
  public static final String PRICE = "^(0|[1-9][0-9]{0,6})(\\.[0-9]{1,2})?$";
  /** A quantity as written: an integer from 1 to 9,999. */
  public static final String QUANTITY = "^[1-9][0-9]{0,3}$";
  /** ISO 4217's format: three capital letters. */
  public static final String CURRENCY = "^[A-Z]{3}$";
  /** ISO 3166-1 alpha-2's format: two capital letters. */
  public static final String COUNTRY = "^[A-Z]{2}$";

  /**
   * The stable reason codes of malformed records, in the order the checks run: the {@code reason} header of a
   * dead letter and the {@code reason} label of {@code clickstream_dead_letters_total} ({@link #reason}).
   */
  public static final List<String> REASONS = List.of("record_too_large", "not_json", "event_id_is_missing",
      "event_time_is_missing", "user_id_is_missing", "event_type_is_missing", "wrong_type", "nul_character",
      "invalid_unicode", "field_too_long", "unparsable_event_time", "event_time_in_future",
      "unknown_event_type", "page_url_is_missing", "product_id_is_missing", "category_is_missing", "price_is_missing",
      "currency_is_missing", "order_id_is_missing", "invalid_price", "invalid_quantity", "invalid_currency",
      "unknown_device", "invalid_country");

  /**
   * @param error a validator's message, e.g. {@code unparsable event_time: yesterday}
   * @return its reason code: the message up to its first {@code :} or {@code (}, trimmed, lower case, spaces as
   *     underscores, e.g. {@code unparsable_event_time}
   */
  public static String reason(String error) {
    int end = error.length();
    for (char stop : new char[] {':', '('}) {
      int at = error.indexOf(stop);
      if (at >= 0) {
        end = Math.min(end, at);
      }
    }
    return error.substring(0, end).trim().toLowerCase(Locale.ROOT).replaceAll(" +", "_");
  }
}
