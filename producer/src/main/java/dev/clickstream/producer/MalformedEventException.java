package dev.clickstream.producer;

import java.util.Locale;

/** A record that does not satisfy the {@code user_activity} contract; the message is the reason, one line. */
public final class MalformedEventException extends Exception {
  /** @param reason what is wrong, e.g. {@code user_id is missing} */
  public MalformedEventException(String reason) {
    super(reason);
  }

  /**
   * The stable code of the reason, as the application puts it in a dead letter's {@code reason} header: the
   * message up to its first {@code :} or {@code (}, trimmed, lower case, spaces as underscores.
   *
   * @return e.g. {@code unparsable_event_time} for {@code unparsable event_time: yesterday}
   */
  public String reason() {
    String message = getMessage();
    int end = message.length();
    for (char stop : new char[] {':', '('}) {
      int at = message.indexOf(stop);
      if (at >= 0) {
        end = Math.min(end, at);
      }
    }
    return message.substring(0, end).trim().toLowerCase(Locale.ROOT).replaceAll(" +", "_");
  }
}
