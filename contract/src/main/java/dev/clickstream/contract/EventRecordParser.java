package dev.clickstream.contract;

import static dev.clickstream.contract.EventContract.MAX_ERROR_BYTES;
import static dev.clickstream.contract.EventContract.MAX_ID_BYTES;
import static dev.clickstream.contract.EventContract.MAX_PAGE_URL_BYTES;
import static dev.clickstream.contract.EventContract.MAX_RECORD_BYTES;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and validates one {@code user_activity} record value (architecture §3) in one pass over its bytes, with
 * Jackson's streaming parser: plain Java, no Spark, so that the application's {@code EventParser} calls it once per
 * Kafka record and the producer's {@code EventCodec} once per record it reads. The one validator of the contract:
 * its fields, bounds and reason codes are {@link EventContract}'s.
 *
 * <p>In: the record value (UTF-8 bytes, maybe null or not JSON at all), its arrival time (the Kafka record's
 * timestamp: the broker's clock on a {@code LogAppendTime} topic) and MAX_EVENT_TIME_SKEW (µs). Out: an {@link Event} with the contract's fields typed (event_time an instant truncated to µs, as Spark's
 * timestamps are; price a {@code BigDecimal} exactly as written; quantity an int) and {@code error} null, or a
 * malformed record's {@code error} with the first failing rule, in this order (the order and messages of the
 * producer's {@code EventCodec}; both are tested against the test kit's {@code ContractCases}):
 * <ol>
 *   <li>{@code record too large: <n> bytes (at most 65536)}: the value is longer than {@link EventContract#MAX_RECORD_BYTES};</li>
 *   <li>{@code not JSON: empty value} (null, empty or only whitespace); {@code not JSON: <Jackson's message>};
 *       {@code not JSON: not an object}; {@code not JSON: text after the object}; {@code not JSON: not UTF-8 ...} (a
 *       UTF-16 or UTF-32 byte order mark or a NUL among the first four bytes: records are UTF-8, RFC 8259 §8.1) (a second object, or anything but
 *       whitespace after the first). Strict JSON: no single quotes, comments, unquoted names, NaN or leading
 *       zeros (Spark's JSON reader would accept single quotes by default). Unknown fields are ignored, and of a
 *       field given twice the last one counts;</li>
 *   <li>{@code <field> is missing}: event_id, event_time, user_id, event_type absent, null or empty;</li>
 *   <li>{@code wrong type: <field> must be a string} (a number, boolean, object or array in a string field, in the
 *       contract's field order), {@code wrong type: price must be a number} (likewise quantity);</li>
 *   <li>{@code nul character: <field>}: U+0000 in a string field (Postgres text cannot hold it, SQL state 22021);
 *       {@code invalid unicode: <field> ...}: a lone surrogate (a {@code \\ud800}-{@code \\udfff} escape not part of a
 *       pair), which no UTF-8 output can carry;
 *       {@code field too long: <field> is <n> bytes (at most <max>)}: event_id, user_id, product_id, category,
 *       order_id over {@link EventContract#MAX_ID_BYTES} UTF-8 bytes, page_url over {@link EventContract#MAX_PAGE_URL_BYTES} (a btree index
 *       row of Postgres holds at most 2,704 bytes);</li>
 *   <li>{@code unparsable event_time: <text>}: not ISO-8601 with an offset ({@link EventContract#ISO_INSTANT}) or not a real
 *       date-time; {@code event_time in future: <text>}: later than the arrival time + MAX_EVENT_TIME_SKEW (the arrival
 *       time, not a batch's clock, so that every query and every replay of a record gives it one verdict);</li>
 *   <li>{@code unknown event_type: <text>}; {@code page_url is missing (required for <type>)} for page_view and
 *       click; product_id, category, price, currency for add_to_cart and purchase, order_id for purchase
 *       ({@code <field> is missing (required for <type>)});</li>
 *   <li>{@code invalid price: <text>} ({@link EventContract#PRICE}, on the number as written: {@code 12.500} and {@code 1e2} are
 *       invalid), {@code invalid quantity: <text>} ({@link EventContract#QUANTITY}), {@code invalid currency: <text>} (not three
 *       capital letters, ISO 4217's format), {@code unknown device: <text>}, {@code invalid country: <text>} (not two
 *       capital letters, ISO 3166-1 alpha-2's format).</li>
 * </ol>
 * An empty string in product_id, category, currency, order_id, device or country counts as absent (null). An error
 * message is at most {@link EventContract#MAX_ERROR_BYTES} UTF-8 bytes: the text it quotes is cut (ending {@code ...}), so that
 * a dead letter is never much larger than the record it carries.
 */
public final class EventRecordParser {
  private static final Pattern ISO = Pattern.compile(EventContract.ISO_INSTANT);
  private static final Pattern PRICE_RULE = Pattern.compile(EventContract.PRICE);
  private static final Pattern QUANTITY_RULE = Pattern.compile(EventContract.QUANTITY);
  /** Jackson's defaults are strict JSON (no single quotes, comments, NaN, leading zeros). Thread-safe. */
  private static final JsonFactory JSON = new JsonFactory();

  // the contract's fields, by position in a record's slots: their EventField ordinal
  private static final int EVENT_ID = EventField.EVENT_ID.ordinal();
  private static final int EVENT_TIME = EventField.EVENT_TIME.ordinal();
  private static final int USER_ID = EventField.USER_ID.ordinal();
  private static final int PAGE_URL = EventField.PAGE_URL.ordinal();
  private static final int EVENT_TYPE = EventField.EVENT_TYPE.ordinal();
  private static final int PRODUCT_ID = EventField.PRODUCT_ID.ordinal();
  private static final int CATEGORY = EventField.CATEGORY.ordinal();
  private static final int PRICE_FIELD = EventField.PRICE.ordinal();
  private static final int QUANTITY_FIELD = EventField.QUANTITY.ordinal();
  private static final int CURRENCY = EventField.CURRENCY.ordinal();
  private static final int ORDER_ID = EventField.ORDER_ID.ordinal();
  private static final int DEVICE = EventField.DEVICE.ordinal();
  private static final int COUNTRY = EventField.COUNTRY.ordinal();
  private static final String[] NAMES = EventContract.FIELDS.toArray(new String[0]);
  /** The fields every event must carry, in the order they are checked. */
  private static final int[] REQUIRED = {EVENT_ID, EVENT_TIME, USER_ID, EVENT_TYPE};
  /** The number fields, in the order their type is checked. */
  private static final int[] NUMBERS = {PRICE_FIELD, QUANTITY_FIELD};
  /** The string fields, in the order their type (and then NUL characters) is checked. */
  private static final int[] STRINGS = {EVENT_ID, EVENT_TIME, USER_ID, EVENT_TYPE, PAGE_URL, PRODUCT_ID, CATEGORY,
      CURRENCY, ORDER_ID, DEVICE, COUNTRY};
  /** The fields with a length bound ({@link EventContract#MAX_ID_BYTES}, page_url {@link EventContract#MAX_PAGE_URL_BYTES}), in check order. */
  private static final int[] BOUNDED = {EVENT_ID, USER_ID, PAGE_URL, PRODUCT_ID, CATEGORY, ORDER_ID};

  // what a slot held
  private static final byte ABSENT = 0; // not there, or null
  private static final byte STRING = 1;
  private static final byte NUMBER = 2;
  private static final byte OTHER = 3; // boolean, object, array

  private EventRecordParser() {}

  /**
   * One record value, parsed: the contract's fields (null when absent), {@code error} and {@code reason} (both null
   * when valid). Of a malformed record only {@code error} and {@code reason} are set.
   *
   * @param eventTime event_time as an instant, truncated to microseconds
   * @param price the unit price exactly as written (scale 0 to 2)
   * @param quantity units, 1 to 9,999 ({@link EventContract#QUANTITY})
   * @param error what failed, e.g. {@code unknown event_type: add_to_wishlist}, at most
   *     {@link EventContract#MAX_ERROR_BYTES} UTF-8 bytes
   * @param reason the rule that failed, e.g. {@link Reason#UNKNOWN_EVENT_TYPE}
   */
  public record Event(String eventId, Instant eventTime, String userId, String pageUrl, String eventType,
      String productId, String category, BigDecimal price, Integer quantity, String currency, String orderId,
      String device, String country, String error, Reason reason) {
    /**
     * @param field a field of the contract
     * @return its value here (null when absent): a String, an Instant (event_time), a BigDecimal (price) or an
     *     Integer (quantity)
     */
    public Object value(EventField field) {
      return switch (field) {
        case EVENT_ID -> eventId;
        case EVENT_TIME -> eventTime;
        case USER_ID -> userId;
        case PAGE_URL -> pageUrl;
        case EVENT_TYPE -> eventType;
        case PRODUCT_ID -> productId;
        case CATEGORY -> category;
        case PRICE -> price;
        case QUANTITY -> quantity;
        case CURRENCY -> currency;
        case ORDER_ID -> orderId;
        case DEVICE -> device;
        case COUNTRY -> country;
      };
    }

    static Event malformed(Reason reason, String error) {
      return new Event(null, null, null, null, null, null, null, null, null, null, null, null, null,
          truncated(error, MAX_ERROR_BYTES), reason);
    }
  }

  /**
   * @param value a record value as sent to Kafka (UTF-8), or null (a tombstone)
   * @param arrivalTimeMicros when the record arrived, µs since the epoch: its Kafka timestamp (the producer's
   *     {@code EventCodec} passes its own clock)
   * @param maxEventTimeSkewMicros MAX_EVENT_TIME_SKEW in µs
   * @return the parsed event, or a malformed one with its {@code error} (see the class comment); never throws,
   *     whatever the bytes (fuzzed by {@code EventRecordParserFuzzTest})
   */
  public static Event parse(byte[] value, long arrivalTimeMicros, long maxEventTimeSkewMicros) {
    if (value != null && value.length > MAX_RECORD_BYTES) {
      return Event.malformed(Reason.RECORD_TOO_LARGE, "record too large: " + value.length + " bytes (at most " + MAX_RECORD_BYTES + ")");
    }
    if (value == null || isBlank(value)) {
      return Event.malformed(Reason.NOT_JSON, "not JSON: empty value");
    }
    if (!utf8(value)) {
      return Event.malformed(Reason.NOT_JSON, "not JSON: not UTF-8 (a UTF-16 or UTF-32 byte order mark or NUL in the first 4 bytes)");
    }
    String[] text = new String[NAMES.length];
    byte[] kind = new byte[NAMES.length];
    try (JsonParser json = JSON.createParser(value)) {
      if (json.nextToken() != JsonToken.START_OBJECT) {
        return Event.malformed(Reason.NOT_JSON, "not JSON: not an object");
      }
      // inside an object Jackson returns a field name or the object's end, or throws
      while (json.nextToken() == JsonToken.FIELD_NAME) {
        int field = slot(json.currentName());
        JsonToken v = json.nextToken();
        if (field < 0) {
          json.skipChildren();
          continue;
        }
        text[field] = null;
        switch (v) {
          case VALUE_STRING -> {
            kind[field] = STRING;
            text[field] = json.getText();
          }
          // a number's text exactly as written (12.50 stays 12.50), never through a double
          case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
            kind[field] = NUMBER;
            text[field] = json.getText();
          }
          case VALUE_NULL -> kind[field] = ABSENT;
          default -> {
            kind[field] = OTHER;
            json.skipChildren();
          }
        }
      }
      if (json.nextToken() != null) {
        return Event.malformed(Reason.NOT_JSON, "not JSON: text after the object");
      }
    } catch (JsonProcessingException e) {
      return Event.malformed(Reason.NOT_JSON, "not JSON: " + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      // Jackson's character decoding (CharConversionException) and anything else its readers throw: reading a byte
      // array does no I/O, so every IOException is about the bytes (found by EventRecordParserFuzzTest)
      return Event.malformed(Reason.NOT_JSON, "not JSON: " + firstLine(e.getMessage()));
    }
    return validate(text, kind, arrivalTimeMicros, maxEventTimeSkewMicros);
  }

  private static Event validate(String[] text, byte[] kind, long arrivalMicros, long skewMicros) {
    for (int field : REQUIRED) {
      if (kind[field] == ABSENT || (kind[field] == STRING && text[field].isEmpty())) {
        return Event.malformed(Reason.missing(NAMES[field]), NAMES[field] + " is missing");
      }
    }
    for (int field : STRINGS) {
      if (kind[field] == NUMBER || kind[field] == OTHER) {
        return Event.malformed(Reason.WRONG_TYPE, "wrong type: " + NAMES[field] + " must be a string");
      }
    }
    for (int field : NUMBERS) {
      if (kind[field] == STRING || kind[field] == OTHER) {
        return Event.malformed(Reason.WRONG_TYPE, "wrong type: " + NAMES[field] + " must be a number");
      }
    }
    for (int field : STRINGS) {
      if (text[field] != null && text[field].indexOf('\u0000') >= 0) {
        return Event.malformed(Reason.NUL_CHARACTER, "nul character: " + NAMES[field]);
      }
    }
    for (int field : STRINGS) {
      if (text[field] != null && hasLoneSurrogate(text[field])) {
        return Event.malformed(Reason.INVALID_UNICODE, "invalid unicode: " + NAMES[field] + " has a lone surrogate (an escape \\ud800-\\udfff)");
      }
    }
    for (int field : BOUNDED) {
      int max = field == PAGE_URL ? MAX_PAGE_URL_BYTES : MAX_ID_BYTES;
      int bytes = text[field] == null ? 0 : utf8Length(text[field]);
      if (bytes > max) {
        return Event.malformed(Reason.FIELD_TOO_LONG, "field too long: " + NAMES[field] + " is " + bytes + " bytes (at most " + max + ")");
      }
    }
    String timeText = text[EVENT_TIME];
    Instant eventTime = instant(timeText);
    if (eventTime == null) {
      return Event.malformed(Reason.UNPARSABLE_EVENT_TIME, "unparsable event_time: " + timeText);
    }
    if (micros(eventTime) > arrivalMicros + skewMicros) {
      return Event.malformed(Reason.EVENT_TIME_IN_FUTURE, "event_time in future: " + timeText);
    }
    String type = text[EVENT_TYPE];
    EventType eventType = EventType.fromWire(type).orElse(null);
    if (eventType == null) {
      return Event.malformed(Reason.UNKNOWN_EVENT_TYPE, "unknown event_type: " + type);
    }
    String pageUrl = text[PAGE_URL];
    if (eventType.requiresPageUrl() && (pageUrl == null || pageUrl.isEmpty())) {
      return Event.malformed(Reason.PAGE_URL_IS_MISSING, requiredFor("page_url", type));
    }
    String productId = optional(text[PRODUCT_ID]);
    String category = optional(text[CATEGORY]);
    String price = text[PRICE_FIELD];
    String quantity = text[QUANTITY_FIELD];
    String currency = optional(text[CURRENCY]);
    String orderId = optional(text[ORDER_ID]);
    String device = optional(text[DEVICE]);
    String country = optional(text[COUNTRY]);
    if (eventType.requiresProduct()) {
      if (productId == null) {
        return Event.malformed(Reason.PRODUCT_ID_IS_MISSING, requiredFor("product_id", type));
      }
      if (category == null) {
        return Event.malformed(Reason.CATEGORY_IS_MISSING, requiredFor("category", type));
      }
      if (price == null) {
        return Event.malformed(Reason.PRICE_IS_MISSING, requiredFor("price", type));
      }
      if (currency == null) {
        return Event.malformed(Reason.CURRENCY_IS_MISSING, requiredFor("currency", type));
      }
    }
    if (eventType == EventType.PURCHASE && orderId == null) {
      return Event.malformed(Reason.ORDER_ID_IS_MISSING, requiredFor("order_id", type));
    }
    if (price != null && !PRICE_RULE.matcher(price).matches()) {
      return Event.malformed(Reason.INVALID_PRICE, "invalid price: " + price);
    }
    if (quantity != null && !QUANTITY_RULE.matcher(quantity).matches()) {
      return Event.malformed(Reason.INVALID_QUANTITY, "invalid quantity: " + quantity);
    }
    if (currency != null && !capitals(currency, 3)) {
      return Event.malformed(Reason.INVALID_CURRENCY, "invalid currency: " + currency);
    }
    if (device != null && !EventContract.DEVICES.contains(device)) {
      return Event.malformed(Reason.UNKNOWN_DEVICE, "unknown device: " + device);
    }
    if (country != null && !capitals(country, 2)) {
      return Event.malformed(Reason.INVALID_COUNTRY, "invalid country: " + country);
    }
    return new Event(text[EVENT_ID], eventTime, text[USER_ID], pageUrl, type, productId, category,
        price == null ? null : new BigDecimal(price), quantity == null ? null : Integer.valueOf(quantity), currency,
        orderId, device, country, null, null);
  }

  /**
   * @param text an event_time as written
   * @return the instant it names, truncated to microseconds; null when it does not match {@link EventContract#ISO_INSTANT} or
   *     names no real date-time or offset (2026-02-30, 24:00, +19:00)
   */
  static Instant instant(String text) {
    Matcher m = ISO.matcher(text);
    if (!m.matches()) {
      return null;
    }
    try {
      String fraction = m.group(7) == null ? "" : m.group(7);
      int micros = fraction.isEmpty() ? 0 : Integer.parseInt((fraction + "00000").substring(0, 6));
      LocalDateTime local = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
          Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
          m.group(6) == null ? 0 : Integer.parseInt(m.group(6)), micros * 1000);
      ZoneOffset offset = m.group(8) == null ? ZoneOffset.UTC
          : ZoneOffset.ofHoursMinutes(Integer.parseInt(m.group(8) + m.group(9)), Integer.parseInt(m.group(8) + m.group(10)));
      return local.toInstant(offset);
    } catch (DateTimeException e) {
      return null;
    }
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  /** Field name -> slot, for the JSON names of the contract; built from {@link EventField}. */
  private static final java.util.Map<String, Integer> SLOTS = java.util.Arrays.stream(EventField.values())
      .collect(java.util.stream.Collectors.toUnmodifiableMap(EventField::fieldName, EventField::ordinal));

  private static int slot(String name) {
    return SLOTS.getOrDefault(name, -1);
  }

  private static String optional(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static String requiredFor(String field, String type) {
    return field + " is missing (required for " + type + ")";
  }

  private static boolean capitals(String s, int length) {
    if (s.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (s.charAt(i) < 'A' || s.charAt(i) > 'Z') {
        return false;
      }
    }
    return true;
  }

  /** @return the length of {@code s} in UTF-8, bytes (a lone surrogate counts as the 3 bytes of its replacement) */
  static int utf8Length(String s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /**
   * @param message an error message
   * @param maxBytes its largest UTF-8 length
   * @return {@code message}, or its longest prefix (whole characters) that fits with {@code ...} appended
   */
  static String truncated(String message, int maxBytes) {
    if (utf8Length(message) <= maxBytes) {
      return message;
    }
    int bytes = 0;
    int end = 0;
    while (end < message.length()) {
      int cp = message.codePointAt(end);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > maxBytes - 3) {
        break;
      }
      bytes += size;
      end += Character.charCount(cp);
    }
    return message.substring(0, end) + "...";
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }

  /**
   * @return false when the first bytes are a UTF-16 or UTF-32 byte order mark or hold a NUL: Jackson would sniff a
   *     16- or 32-bit encoding from them (RFC 4627 §3), where the contract's records are UTF-8 (RFC 8259 §8.1), and
   *     valid UTF-8 JSON has no NUL outside a string's escape
   */
  private static boolean utf8(byte[] value) {
    if (value.length >= 2 && ((value[0] == (byte) 0xFE && value[1] == (byte) 0xFF)
        || (value[0] == (byte) 0xFF && value[1] == (byte) 0xFE))) {
      return false;
    }
    for (int i = 0; i < Math.min(4, value.length); i++) {
      if (value[i] == 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * @return whether {@code s} holds a surrogate that is not half of a pair: JSON's {@code \\uD800} escapes can make
   *     one, and no UTF-8 writer (Spark's strings, Kafka's enriched JSON, Postgres) can encode it, so the value would
   *     change on its way out
   */
  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isBlank(byte[] value) {
    for (byte b : value) {
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return false;
      }
    }
    return true;
  }
}
