package dev.clickstream.producer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clickstream.contract.EventContract;
import dev.clickstream.contract.EventField;
import dev.clickstream.contract.EventRecordParser;
import dev.clickstream.contract.EventType;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * JSON codec of the {@code user_activity} contract (architecture §3), with Jackson.
 *
 * <p>Writing: {@code {"event_id":..,"event_time":"2026-11-23T12:00:00.123Z","user_id":..,"page_url":..,
 * "event_type":..}}, event time in UTC with exactly three fraction digits. Reading: the contract's one validator,
 * {@link EventRecordParser} (its rules, their order and messages; the reason codes of {@link EventContract}), then
 * the fields as a {@link UserActivityEvent}; a malformed record is a {@link MalformedEventException} with the
 * validator's message.
 */
public final class EventCodec {
  /** ISO-8601 instant, UTC, millisecond precision, e.g. {@code 2026-11-23T12:00:00.123Z} ({@link EventContract#TIME_WRITTEN}). */
  public static final DateTimeFormatter EVENT_TIME =
      DateTimeFormatter.ofPattern(EventContract.TIME_WRITTEN).withZone(ZoneOffset.UTC);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private EventCodec() {}

  /**
   * @param event an event
   * @return its JSON text, one line
   */
  public static String toJson(UserActivityEvent event) {
    ObjectNode node = MAPPER.createObjectNode();
    EventRecordParser.Event fields = event.fields();
    for (EventField f : EventField.values()) {
      Object value = fields.value(f);
      if (value == null) {
        if (!f.commerce()) {
          node.putNull(f.fieldName()); // page_url of a session start: null; the commerce fields are left out
        }
        continue;
      }
      switch (f.type()) {
        case STRING -> node.put(f.fieldName(), (String) value);
        case TIME -> node.put(f.fieldName(), formatTime((Instant) value));
        case PRICE -> node.put(f.fieldName(), (BigDecimal) value); // written as its digits, exactly
        case QUANTITY -> node.put(f.fieldName(), ((Integer) value).intValue());
      }
    }
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

  /** MAX_EVENT_TIME_SKEW's default (architecture §5): an event_time further ahead of the processing time is malformed. */
  public static final Duration DEFAULT_MAX_EVENT_TIME_SKEW = Duration.ofMinutes(1);

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
    return fromBytes(json == null ? null : json.getBytes(StandardCharsets.UTF_8), processingTime, maxEventTimeSkew);
  }

  /**
   * Parses and validates one record value as it is sent to Kafka.
   *
   * @param value the record value, bytes (UTF-8 JSON when valid), or null
   * @param processingTime the time to compare event_time with
   * @param maxEventTimeSkew how far event_time may be ahead of {@code processingTime}
   * @return the event
   * @throws MalformedEventException naming the first problem (see the class comment)
   */
  public static UserActivityEvent fromBytes(byte[] value, Instant processingTime, Duration maxEventTimeSkew)
      throws MalformedEventException {
    EventRecordParser.Event e = EventRecordParser.parse(value,
        ChronoUnit.MICROS.between(Instant.EPOCH, processingTime), maxEventTimeSkew.toNanos() / 1000);
    if (e.error() != null) {
      throw new MalformedEventException(e.reason(), e.error());
    }
    EventType type = EventType.ofWire(e.eventType()); // the validator accepted it
    return new UserActivityEvent(e.eventId(), e.eventTime(), e.userId(), e.pageUrl(), type, e.productId(),
        e.category(), e.price(), e.quantity(), e.currency(), e.orderId(), e.device(), e.country());
  }
}
