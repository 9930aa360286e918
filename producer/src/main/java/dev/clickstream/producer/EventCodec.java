package dev.clickstream.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * JSON codec of the {@code user_activity} contract (DESIGN §3), with Jackson.
 *
 * <p>Writing: {@code {"event_id":..,"event_time":"2026-11-23T12:00:00.123Z","user_id":..,"page_url":..,
 * "event_type":..}}, event time in UTC with exactly three fraction digits. Reading: accepts any ISO-8601
 * instant with an offset and ignores unknown fields; a record is malformed with the first of these reasons, in
 * this order, the same order and messages as the application's parser (both are tested against one table of
 * cases, the test kit's {@code ContractCases}): not JSON (or not an object); a required field (event_id,
 * event_time, user_id, event_type) missing, null or empty; a field of the contract that is not a string
 * ({@code wrong type: <field> must be a string}); an unparsable event_time; an event_time more than
 * MAX_EVENT_TIME_SKEW ahead of the processing time; an unknown event_type; page_url missing for page_view or
 * click. {@link MalformedEventException#reason()} gives the reason's stable code.
 */
public final class EventCodec {
  /** ISO-8601 instant, UTC, millisecond precision, e.g. {@code 2026-11-23T12:00:00.123Z}. */
  public static final DateTimeFormatter EVENT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

  private static final ObjectMapper MAPPER = new ObjectMapper();

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
    return node.toString();
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
  public static final Duration DEFAULT_MAX_EVENT_TIME_SKEW = Duration.ofMinutes(10);
  private static final List<String> REQUIRED = List.of("event_id", "event_time", "user_id", "event_type");
  private static final List<String> STRINGS = List.of("event_id", "event_time", "user_id", "event_type", "page_url");

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
    return new UserActivityEvent(node.get("event_id").asText(), eventTime, node.get("user_id").asText(), pageUrl, type);
  }
}
