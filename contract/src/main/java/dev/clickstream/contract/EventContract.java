package dev.clickstream.contract;

import java.util.List;

/**
 * The {@code user_activity} contract's fields, bounds and reason codes (architecture §3), in one place for the producer
 * and the Spark application; {@link EventRecordParser} applies them and {@link EventType} names the event types.
 */
public final class EventContract {
  private EventContract() {}

  /** Every field of the contract, in its order ({@link EventField}). */
  public static final List<String> FIELDS = java.util.Arrays.stream(EventField.values()).map(EventField::fieldName).toList();
  /** The contract's fields whose values are JSON numbers. */
  public static final List<String> NUMBERS = java.util.Arrays.stream(EventField.values())
      .filter(f -> f.type() == EventField.Type.PRICE || f.type() == EventField.Type.QUANTITY).map(EventField::fieldName).toList();
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

  /**
   * How the project writes an instant: ISO-8601 in UTC with milliseconds, e.g. {@code 2026-11-23T12:00:00.123Z}
   * (the producer's event_time, the enriched record's times, a dead letter's detected_at). A pattern of both Java's
   * {@code DateTimeFormatter} (with the UTC zone) and Spark's {@code date_format} (in a UTC session).
   */
  public static final String TIME_WRITTEN = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";
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
   * The stable reason codes of malformed records ({@link Reason#code()}), in the order the checks run: the
   * {@code reason} header of a dead letter and the {@code reason} label of {@code clickstream_dead_letters_total}.
   */
  public static final List<String> REASONS = java.util.Arrays.stream(Reason.values()).map(Reason::code).toList();
}
