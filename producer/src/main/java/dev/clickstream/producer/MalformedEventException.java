package dev.clickstream.producer;

/** A record that does not satisfy the {@code user_activity} contract; the message is the reason, one line. */
public final class MalformedEventException extends Exception {
  /** @param reason what is wrong, e.g. {@code user_id is missing} */
  public MalformedEventException(String reason) {
    super(reason);
  }

  /**
   * The stable code of the reason, as the application puts it in a dead letter's {@code reason} header
   * ({@code EventContract.reason}).
   *
   * @return e.g. {@code unparsable_event_time} for {@code unparsable event_time: yesterday}
   */
  public String reason() {
    return dev.clickstream.contract.EventContract.reason(getMessage());
  }

}
