package dev.clickstream.producer;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The traffic flags every command that sends events shares (the producer CLI, {@code make run}), as a picocli
 * mixin: how fast, how long, how much of it is late or malformed, or a file to replay instead. A command that
 * wants other defaults sets them with a default value provider.
 */
public final class TrafficOptions {
  @Option(names = "--rate", defaultValue = "50", description = "Events/s; 0 = as fast as possible.")
  double rate;

  @Option(names = "--duration", converter = DurationConverter.class,
      description = "Stop sending after this long (e.g. 55s, 10m); default: no limit.")
  Duration duration;

  @Option(names = "--late-every", defaultValue = "50", description = "Every Nth record is late; 0 = none.")
  int lateEvery;

  @Option(names = "--malformed-every", defaultValue = "0",
      description = "Every Nth record is malformed (not JSON, no user_id, bad event_time, unknown event_type, purchase without order_id, negative price in turn); 0 = none.")
  int malformedEvery;

  @Option(names = "--replay", description = "Send this file instead (JSONL in the contract, or .csv with a header row of contract field names).")
  Path replay;

  /** @return events/s, 0 = as fast as possible */
  public double rate() {
    return rate;
  }

  /** @return how long to send, or null for no limit */
  public Duration duration() {
    return duration;
  }

  /** @return every Nth record is late; 0 = none */
  public int lateEvery() {
    return lateEvery;
  }

  /** @return every Nth record is malformed; 0 = none */
  public int malformedEvery() {
    return malformedEvery;
  }

  /** @return the file to replay instead of generated traffic, or null */
  public Path replay() {
    return replay;
  }
}
