package dev.clickstream.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * JSON codec of the {@code user_activity} contract (DESIGN §3), with Jackson.
 *
 * <p>Writing: {@code {"event_id":..,"event_time":"2026-11-23T12:00:00.123Z","user_id":..,"page_url":..,
 * "event_type":..}}, event time in UTC with exactly three fraction digits. Reading: accepts any ISO-8601
 * instant with an offset, ignores unknown fields, and rejects records that are not JSON objects, miss a
 * required field, have an unparsable event_time or an unknown event_type.
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

  /**
   * Parses and validates one record value.
   *
   * @param json the record value
   * @return the event
   * @throws MalformedEventException naming the first problem: not JSON, a missing or empty field, an
   *     unparsable event_time, an unknown event_type
   */
  public static UserActivityEvent fromJson(String json) throws MalformedEventException {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedEventException("not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new MalformedEventException("not a JSON object");
    }
    String eventId = requiredText(node, "event_id");
    String eventTimeText = requiredText(node, "event_time");
    String userId = requiredText(node, "user_id");
    String typeText = requiredText(node, "event_type");
    EventType type = EventType.fromWire(typeText)
        .orElseThrow(() -> new MalformedEventException("unknown event_type: " + typeText));
    Instant eventTime;
    try {
      eventTime = parseTime(eventTimeText);
    } catch (DateTimeParseException e) {
      throw new MalformedEventException("unparsable event_time: " + eventTimeText);
    }
    JsonNode page = node.get("page_url");
    String pageUrl = page == null || page.isNull() ? null : page.asText();
    if (type.requiresPageUrl() && (pageUrl == null || pageUrl.isEmpty())) {
      throw new MalformedEventException("page_url is missing (required for " + typeText + ")");
    }
    return new UserActivityEvent(eventId, eventTime, userId, pageUrl, type);
  }

  private static String requiredText(JsonNode node, String field) throws MalformedEventException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new MalformedEventException(field + " is missing");
    }
    if (!value.isTextual() || value.asText().isEmpty()) {
      throw new MalformedEventException(field + " must be a non-empty string");
    }
    return value.asText();
  }
}
