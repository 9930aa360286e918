package dev.clickstream.producer;

/** A failure the user can act on (unreachable brokers, a missing topic); the message is one line. */
public final class ProducerException extends RuntimeException {
  /** @param message one line naming the problem */
  public ProducerException(String message) {
    super(message);
  }
}
