package dev.clickstream.app.source;

import java.util.Map;
import java.util.Optional;

/**
 * The input topic's settings, where this project creates it (the chart's KafkaTopic, make run, the test and
 * benchmark brokers), and what its timestamps mean for the contract's skew rule ({@link EventParser#parse}: an
 * event_time may be at most MAX_EVENT_TIME_SKEW ahead of the record's Kafka timestamp).
 */
public final class InputTopic {
  /** Kafka's topic setting that says which clock stamps a record (Kafka docs, {@code message.timestamp.type}). */
  public static final String TIMESTAMP_TYPE = "message.timestamp.type";
  /** The broker stamps each record with its own clock as it appends it: the arrival time. */
  public static final String LOG_APPEND_TIME = "LogAppendTime";
  /**
   * The largest record batch the input topic takes, bytes: Kafka's default {@code message.max.bytes}. The limit
   * applies to a compressed batch, so a record's value may be larger once decompressed (IngestSink truncates its
   * dead-letter copy).
   */
  public static final int MAX_MESSAGE_BYTES = 1_048_588;

  private InputTopic() {}

  /**
   * @return the input topic's configs: {@code message.timestamp.type=LogAppendTime} (every query judges a record by
   *     the broker's clock at its arrival) and {@code max.message.bytes} = {@link #MAX_MESSAGE_BYTES}
   */
  public static Map<String, String> configs() {
    return Map.of(TIMESTAMP_TYPE, LOG_APPEND_TIME, "max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES));
  }

  /**
   * @param topic the input topic's name
   * @param timestampType its {@code message.timestamp.type}, empty when the brokers did not say (no DescribeConfigs
   *     permission, or the topic does not exist yet)
   * @return the start-up line that says which clock the skew rule compares event_time with
   */
  public static String arrivalClockLine(String topic, Optional<String> timestampType) {
    if (timestampType.isEmpty()) {
      return "input topic " + topic + ": message.timestamp.type unknown; event_time is judged against each record's"
          + " Kafka timestamp (the broker's clock with LogAppendTime, the producer's with CreateTime)";
    }
    if (LOG_APPEND_TIME.equals(timestampType.get())) {
      return "input topic " + topic + ": LogAppendTime; event_time is judged against the broker's clock at arrival";
    }
    return "input topic " + topic + ": " + timestampType.get() + "; event_time is judged against the producer's"
        + " timestamp of each record, not the broker's clock (set message.timestamp.type=LogAppendTime on the topic"
        + " to judge by arrival)";
  }
}
