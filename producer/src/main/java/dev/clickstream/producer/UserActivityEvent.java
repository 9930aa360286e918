package dev.clickstream.producer;

import java.time.Instant;
import java.util.Objects;

/**
 * One user-activity event: the value of a {@code user_activity} record (DESIGN §3), keyed by {@code userId}.
 *
 * @param eventId unique id (a UUID string)
 * @param eventTime event time, millisecond precision (finer parts are truncated on the wire)
 * @param userId non-empty user id; also the Kafka key
 * @param pageUrl page path; required for page_view and click, may be null for session_start/session_end
 * @param eventType the kind of event
 */
public record UserActivityEvent(String eventId, Instant eventTime, String userId, String pageUrl, EventType eventType) {
  /** @throws IllegalArgumentException when a required field is missing */
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
  }

  /**
   * @param newTime the event time to use instead
   * @return a copy of this event at {@code newTime}
   */
  public UserActivityEvent withEventTime(Instant newTime) {
    return new UserActivityEvent(eventId, newTime, userId, pageUrl, eventType);
  }
}
