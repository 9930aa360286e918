package dev.clickstream.producer;

import dev.clickstream.contract.Reason;

/** A record that does not satisfy the {@code user_activity} contract; the message says what is wrong, one line. */
public final class MalformedEventException extends Exception {
  private final Reason reason;

  /**
   * @param reason the rule it breaks
   * @param message what is wrong, e.g. {@code user_id is missing}
   */
  public MalformedEventException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /**
   * The stable code of the reason, as the application puts it in a dead letter's {@code reason} header.
   *
   * @return e.g. {@code unparsable_event_time} for {@code unparsable event_time: yesterday}
   */
  public String reason() {
    return reason.code();
  }
}
