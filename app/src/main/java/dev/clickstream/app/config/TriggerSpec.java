package dev.clickstream.app.config;

import java.time.Duration;

/**
 * The micro-batch trigger: a processing-time interval, or {@code available-now} (process everything that is
 * in the topic when the query starts, in one or more micro-batches bounded by MAX_OFFSETS_PER_TRIGGER, then
 * stop; Spark's {@code Trigger.AvailableNow()}).
 *
 * @param interval time between micro-batch starts; null for available-now
 */
public record TriggerSpec(Duration interval) {
  /** The text that selects available-now. */
  public static final String AVAILABLE_NOW = "available-now";

  /** @return whether this is available-now */
  public boolean availableNow() {
    return interval == null;
  }

  /**
   * @param text {@code available-now} or a duration such as {@code 10 seconds}
   * @return the trigger
   * @throws IllegalArgumentException when the text is neither
   */
  public static TriggerSpec parse(String text) {
    if (AVAILABLE_NOW.equalsIgnoreCase(text.trim())) {
      return new TriggerSpec(null);
    }
    try {
      return new TriggerSpec(Durations.parse(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is neither available-now nor a duration (e.g. 10 seconds)");
    }
  }

  @Override
  public String toString() {
    return availableNow() ? AVAILABLE_NOW : interval.toMillis() + " ms";
  }
}
