package dev.clickstream.producer;

/** Where produced records go: Kafka, or JSONL on stdout. */
public interface EventSink extends AutoCloseable {
  /**
   * Sends one record asynchronously.
   *
   * @param record the record
   * @throws ProducerException when an earlier record failed in a way that retrying cannot fix (Kafka)
   */
  void send(ProducedRecord record);

  /** @return records whose delivery failed so far */
  long errors();

  /** Blocks until every record sent so far is delivered or has failed. */
  void flush();

  /** Flushes and releases resources. */
  @Override
  void close();
}
