package dev.clickstream.ops;

/** A check that did not pass; the message is one line naming what and why. */
public final class CheckFailed extends RuntimeException {
  /** @param message e.g. {@code Kafka clickstream not Ready after 300 s (last: NotReady)} */
  public CheckFailed(String message) {
    super(message);
  }
}
