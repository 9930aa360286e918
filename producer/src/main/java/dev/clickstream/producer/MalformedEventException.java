package dev.clickstream.producer;

/** A record that does not satisfy the {@code user_activity} contract; the message is the reason, one line. */
public final class MalformedEventException extends Exception {
  /** @param reason what is wrong, e.g. {@code user_id is missing} */
  public MalformedEventException(String reason) {
    super(reason);
  }
}
