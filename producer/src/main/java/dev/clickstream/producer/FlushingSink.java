package dev.clickstream.producer;

/**
 * {@code --batch-size N}: flushes the sink after every N records, so that they leave in batches of N (the Kafka
 * producer then sends what it holds and waits for the acknowledgements) instead of whenever {@code linger.ms} and
 * {@code batch.size} say.
 */
public final class FlushingSink implements EventSink {
  private final EventSink sink;
  private final int batchSize;
  private long pending;

  private FlushingSink(EventSink sink, int batchSize) {
    this.sink = sink;
    this.batchSize = batchSize;
  }

  /**
   * @param sink where records go
   * @param batchSize records per flush; 0 = no explicit flush (the sink itself is returned)
   * @return the sink
   * @throws IllegalArgumentException for a negative size
   */
  public static EventSink of(EventSink sink, int batchSize) {
    if (batchSize < 0) {
      throw new IllegalArgumentException("--batch-size must be >= 0 (got " + batchSize + ")");
    }
    return batchSize == 0 ? sink : new FlushingSink(sink, batchSize);
  }

  @Override
  public void send(ProducedRecord record) {
    sink.send(record);
    if (++pending == batchSize) {
      sink.flush();
      pending = 0;
    }
  }

  @Override
  public long errors() {
    return sink.errors();
  }

  @Override
  public void flush() {
    sink.flush();
    pending = 0;
  }

  @Override
  public void close() {
    sink.close();
  }
}
