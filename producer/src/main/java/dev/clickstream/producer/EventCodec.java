package dev.clickstream.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON codec of the {@code user_activity} contract (DESIGN §3), with Jackson.
 *
 * <p>Writing: {@code {"event_id":..,"event_time":"2026-11-23T12:00:00.123Z","user_id":..,"page_url":..,
 * "event_type":..}}, event time in UTC with exactly three fraction digits. Reading: accepts any ISO-8601
 * instant with an offset and ignores unknown fields; a record is malformed with the first of these reasons, in
 * this order, the same order and messages as the application's parser (both are tested against one table of
 * cases, the test kit's {@code ContractCases}): a record over {@link #MAX_RECORD_BYTES} ({@code record too large});
 * not JSON (or not an object, or text after the object); a required field (event_id,
 * event_time, user_id, event_type) missing, null or empty; a field of the contract that is not a string
 * ({@code wrong type: <field> must be a string}); a NUL character in a string field ({@code nul character:
 * <field>}); event_id, user_id, product_id, category or order_id over {@link #MAX_ID_BYTES} UTF-8 bytes, page_url
 * over {@link #MAX_PAGE_URL_BYTES} ({@code field too long}); an unparsable event_time; an event_time more than
 * MAX_EVENT_TIME_SKEW ahead of the processing time; an unknown event_type; page_url missing for page_view or
 * click; for add_to_cart and purchase, product_id, category, price or currency missing, and order_id for purchase
 * ({@code <field> is missing (required for <type>)}); price or quantity not a JSON number ({@code wrong type: price
 * must be a number}); a price that is negative, has more than 2 decimals or is written with an exponent
 * ({@code invalid price: <text>}, rule {@link #PRICE}, applied to the number as written: below 10,000,000); a quantity
 * that is not an integer from 1 to 9,999 ({@code invalid quantity}); a currency that is not three capital letters (ISO 4217's
 * format; {@code invalid currency}); a device other than desktop, mobile, tablet ({@code unknown device}); a country
 * that is not two capital letters (ISO 3166-1 alpha-2's format; {@code invalid country}).
 * {@link MalformedEventException#reason()} gives the reason's stable code; a message is at most
 * {@link #MAX_ERROR_BYTES} UTF-8 bytes (quoted text is cut, ending {@code ...}).
 */
public final class EventCodec {
  /** ISO-8601 instant, UTC, millisecond precision, e.g. {@code 2026-11-23T12:00:00.123Z}. */
  public static final DateTimeFormatter EVENT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

  /** One JSON value per record: {@code {...}{...}} or {@code {...} text} is not JSON (DESIGN §3). */
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private EventCodec() {}

  /**
   * @param event an event
   * @return its JSON text, one line
   */
  public static String toJson(UserActivityEvent event) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("event_id", event.eventId());
    node.put("event_time", formatTime(event.eventTime()));
    node.put("user_id", event.userId());
    if (event.pageUrl() == null) {
      node.putNull("page_url");
    } else {
      node.put("page_url", event.pageUrl());
    }
    node.put("event_type", event.eventType().wireName());
    putIfPresent(node, "product_id", event.productId());
    putIfPresent(node, "category", event.category());
    if (event.price() != null) {
      node.put("price", event.price()); // a BigDecimal: written as its digits, exactly
    }
    if (event.quantity() != null) {
      node.put("quantity", event.quantity().intValue());
    }
    putIfPresent(node, "currency", event.currency());
    putIfPresent(node, "order_id", event.orderId());
    putIfPresent(node, "device", event.device());
    putIfPresent(node, "country", event.country());
    return node.toString();
  }

  private static void putIfPresent(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /**
   * @param time an instant
   * @return ISO-8601 UTC text with milliseconds, e.g. {@code 2026-11-23T12:00:00.123Z}
   */
  public static String formatTime(Instant time) {
    return EVENT_TIME.format(time.truncatedTo(ChronoUnit.MILLIS));
  }

  /**
   * @param text ISO-8601 instant with offset ({@code Z} or {@code +01:00})
   * @return the instant
   * @throws DateTimeParseException when the text is not such an instant
   */
  public static Instant parseTime(String text) {
    return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
  }

  /** MAX_EVENT_TIME_SKEW's default (DESIGN §5): an event_time further ahead of the processing time is malformed. */
  public static final Duration DEFAULT_MAX_EVENT_TIME_SKEW = Duration.ofMinutes(1);
  /** The largest record value, UTF-8 bytes (DESIGN §3). */
  public static final int MAX_RECORD_BYTES = 64 * 1024;
  /** The longest event_id, user_id, product_id, category and order_id, UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 256;
  /** The longest page_url, UTF-8 bytes. */
  public static final int MAX_PAGE_URL_BYTES = 2048;
  /** The longest error message, UTF-8 bytes. */
  public static final int MAX_ERROR_BYTES = 1024;
  /** The fields with a length bound, in the order it is checked. */
  private static final List<String> BOUNDED = List.of("event_id", "user_id", "page_url", "product_id", "category",
      "order_id");
  private static final List<String> REQUIRED = List.of("event_id", "event_time", "user_id", "event_type");
  private static final List<String> STRINGS = List.of("event_id", "event_time", "user_id", "event_type", "page_url",
      "product_id", "category", "currency", "order_id", "device", "country");
  /** The contract's fields whose values are JSON numbers. */
  public static final List<String> NUMBERS = List.of("price", "quantity");
  /** Every field of the contract (DESIGN §3), in its order. */
  public static final List<String> FIELDS = List.of("event_id", "event_time", "user_id", "page_url", "event_type",
      "product_id", "category", "price", "quantity", "currency", "order_id", "device", "country");

  /** A price as written: below 10,000,000, at most 2 decimals, no sign, no exponent. */
  public static final String PRICE = "^(0|[1-9][0-9]{0,6})(\\.[0-9]{1,2})?$";
  /** A quantity as written: an integer from 1 to 9,999. */
  public static final String QUANTITY = "^[1-9][0-9]{0,3}$";
  /** ISO 4217's format: three capital letters. */
  public static final String CURRENCY = "^[A-Z]{3}$";
  /** ISO 3166-1 alpha-2's format: two capital letters. */
  public static final String COUNTRY = "^[A-Z]{2}$";

  /**
   * @param field price or quantity
   * @return a regex whose group 1 is that field's number as written in a JSON object (not a key inside a string)
   */
  public static String numberAsWritten(String field) {
    return "(?<!\\\\)\"" + field + "\"\\s*:\\s*(-?[0-9][^,}\\s]*)";
  }

  private static final Pattern PRICE_AS_WRITTEN = Pattern.compile(numberAsWritten("price"));
  private static final Pattern QUANTITY_AS_WRITTEN = Pattern.compile(numberAsWritten("quantity"));

  /**
   * Parses and validates one record value now, with the default MAX_EVENT_TIME_SKEW.
   *
   * @param json the record value
   * @return the event
   * @throws MalformedEventException naming the first problem (see the class comment)
   */
  public static UserActivityEvent fromJson(String json) throws MalformedEventException {
    return fromJson(json, Instant.now(), DEFAULT_MAX_EVENT_TIME_SKEW);
  }

  /**
   * Parses and validates one record value.
   *
   * @param json the record value
   * @param processingTime the time to compare event_time with
   * @param maxEventTimeSkew how far event_time may be ahead of {@code processingTime}
   * @return the event
   * @throws MalformedEventException naming the first problem (see the class comment)
   */
  public static UserActivityEvent fromJson(String json, Instant processingTime, Duration maxEventTimeSkew)
      throws MalformedEventException {
    try {
      return validated(json, processingTime, maxEventTimeSkew);
    } catch (MalformedEventException e) {
      String message = e.getMessage();
      if (message.getBytes(StandardCharsets.UTF_8).length <= MAX_ERROR_BYTES) {
        throw e;
      }
      // the longest prefix of whole characters that fits with "..." (UTF-8 bytes)
      StringBuilder cut = new StringBuilder();
      int bytes = 0;
      for (int cp : message.codePoints().toArray()) {
        int size = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
        if (bytes + size > MAX_ERROR_BYTES - 3) {
          break;
        }
        cut.appendCodePoint(cp);
        bytes += size;
      }
      throw new MalformedEventException(cut + "...");
    }
  }

  private static UserActivityEvent validated(String json, Instant processingTime, Duration maxEventTimeSkew)
      throws MalformedEventException {
    int recordBytes = json == null ? 0 : json.getBytes(StandardCharsets.UTF_8).length;
    if (recordBytes > MAX_RECORD_BYTES) {
      throw new MalformedEventException("record too large: " + recordBytes + " bytes (at most " + MAX_RECORD_BYTES + ")");
    }
    if (json == null || json.isBlank()) {
      throw new MalformedEventException("not JSON: empty value");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedEventException("not JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
    if (node == null || !node.isObject()) {
      throw new MalformedEventException("not JSON: not an object");
    }
    for (String field : REQUIRED) {
      JsonNode value = node.get(field);
      if (value == null || value.isNull() || (value.isTextual() && value.asText().isEmpty())) {
        throw new MalformedEventException(field + " is missing");
      }
    }
    for (String field : STRINGS) {
      JsonNode value = node.get(field);
      if (value != null && !value.isNull() && !value.isTextual()) {
        throw new MalformedEventException("wrong type: " + field + " must be a string");
      }
    }
    for (String field : NUMBERS) {
      if (present(node, field) && !node.get(field).isNumber()) {
        throw new MalformedEventException("wrong type: " + field + " must be a number");
      }
    }
    for (String field : STRINGS) {
      if (present(node, field) && node.get(field).asText().indexOf('\u0000') >= 0) {
        throw new MalformedEventException("nul character: " + field);
      }
    }
    for (String field : BOUNDED) {
      int max = field.equals("page_url") ? MAX_PAGE_URL_BYTES : MAX_ID_BYTES;
      int bytes = present(node, field) ? node.get(field).asText().getBytes(StandardCharsets.UTF_8).length : 0;
      if (bytes > max) {
        throw new MalformedEventException("field too long: " + field + " is " + bytes + " bytes (at most " + max + ")");
      }
    }
    String eventTimeText = node.get("event_time").asText();
    Instant eventTime;
    try {
      eventTime = parseTime(eventTimeText);
    } catch (DateTimeParseException e) {
      throw new MalformedEventException("unparsable event_time: " + eventTimeText);
    }
    if (eventTime.isAfter(processingTime.plus(maxEventTimeSkew))) {
      throw new MalformedEventException("event time in future: " + eventTimeText);
    }
    String typeText = node.get("event_type").asText();
    EventType type = EventType.fromWire(typeText)
        .orElseThrow(() -> new MalformedEventException("unknown event_type: " + typeText));
    JsonNode page = node.get("page_url");
    String pageUrl = page == null || page.isNull() ? null : page.asText();
    if (type.requiresPageUrl() && (pageUrl == null || pageUrl.isEmpty())) {
      throw new MalformedEventException("page_url is missing (required for " + typeText + ")");
    }
    String productId = text(node, "product_id");
    String category = text(node, "category");
    String currency = text(node, "currency");
    String orderId = text(node, "order_id");
    String priceText = present(node, "price") ? asWritten(PRICE_AS_WRITTEN, json) : null;
    String quantityText = present(node, "quantity") ? asWritten(QUANTITY_AS_WRITTEN, json) : null;
    if (type.requiresProduct()) {
      requireFor(type, "product_id", productId);
      requireFor(type, "category", category);
      requireFor(type, "price", priceText);
      requireFor(type, "currency", currency);
    }
    if (type == EventType.PURCHASE) {
      requireFor(type, "order_id", orderId);
    }
    if (priceText != null && !priceText.matches(PRICE)) {
      throw new MalformedEventException("invalid price: " + priceText);
    }
    if (quantityText != null && !quantityText.matches(QUANTITY)) {
      throw new MalformedEventException("invalid quantity: " + quantityText);
    }
    if (currency != null && !currency.matches(CURRENCY)) {
      throw new MalformedEventException("invalid currency: " + currency);
    }
    String device = text(node, "device");
    if (device != null && !UserActivityEvent.DEVICES.contains(device)) {
      throw new MalformedEventException("unknown device: " + device);
    }
    String country = text(node, "country");
    if (country != null && !country.matches(COUNTRY)) {
      throw new MalformedEventException("invalid country: " + country);
    }
    return new UserActivityEvent(node.get("event_id").asText(), eventTime, node.get("user_id").asText(), pageUrl, type,
        productId, category, priceText == null ? null : new java.math.BigDecimal(priceText),
        quantityText == null ? null : Integer.valueOf(quantityText), currency, orderId, device, country);
  }

  private static boolean present(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && !value.isNull();
  }

  /** A string field; an empty string counts as absent, as null does. */
  private static String text(JsonNode node, String field) {
    return present(node, field) && !node.get(field).asText().isEmpty() ? node.get(field).asText() : null;
  }

  private static String asWritten(Pattern number, String json) {
    Matcher m = number.matcher(json);
    return m.find() ? m.group(1) : "";
  }

  private static void requireFor(EventType type, String field, String value) throws MalformedEventException {
    if (value == null) {
      throw new MalformedEventException(field + " is missing (required for " + type.wireName() + ")");
    }
  }
}
