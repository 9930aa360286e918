package dev.clickstream.app.config;

import dev.clickstream.contract.Durations;
import java.time.Duration;

/**
 * A query's trigger: a processing-time interval, {@code available-now} (process everything that is in the topic
 * when the query starts, in one or more micro-batches bounded by MAX_OFFSETS_PER_TRIGGER, then stop; Spark's
 * {@code Trigger.AvailableNow()}), or real-time ({@code Trigger.RealTime(batchDuration)}, see {@link IngestMode}).
 *
 * @param interval time between micro-batch starts, or a real-time batch's duration; null for available-now
 * @param realTime whether this is Spark's real-time trigger
 * @param endsAtLatest whether the query ends once it has processed the offsets that were latest when it started:
 *     true for available-now; for a real-time trigger, the pipeline stops the query after the batch that reaches
 *     them (the real-time counterpart of available-now, which Spark does not offer)
 */
public record TriggerSpec(Duration interval, boolean realTime, boolean endsAtLatest) {
  /** The text that selects available-now. */
  public static final String AVAILABLE_NOW = "available-now";

  /** @param interval a processing-time interval, or null for available-now */
  public TriggerSpec(Duration interval) {
    this(interval, false, interval == null);
  }

  /**
   * @param batchDuration REAL_TIME_BATCH_DURATION
   * @param endsAtLatest whether the run ends at the latest offsets of its start (TRIGGER_INTERVAL=available-now)
   * @return a real-time trigger
   */
  public static TriggerSpec realTime(Duration batchDuration, boolean endsAtLatest) {
    return new TriggerSpec(batchDuration, true, endsAtLatest);
  }

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
    return availableNow() ? AVAILABLE_NOW : realTime ? "real-time, batches of " + interval.toMillis() + " ms"
        + (endsAtLatest ? ", until the latest offsets of the start" : "") : interval.toMillis() + " ms";
  }
}
