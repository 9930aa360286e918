package dev.clickstream.producer;

import java.time.Duration;
import java.util.Iterator;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The producer's send loop, shared by the CLI and {@code make run}: takes records from a source, paces them,
 * and sends them until the source ends, {@code count} records are sent, {@code duration} has passed, or
 * {@code stop} says so. A non-retriable delivery failure ends it with the sink's {@link ProducerException}.
 *
 * @param source records to send
 * @param pacer when each record may go
 * @param sink where they go
 * @param count records to send at most; 0 = no limit
 * @param duration how long to send; null = no limit
 * @param stop checked before each record (a signal, an interrupt)
 * @param progressEvery how often to report progress
 * @param progress receives {@code sent N, R events/s, errors E} lines; may ignore them
 * @param nanoClock the clock, ns
 */
public record SendLoop(Iterator<ProducedRecord> source, RecordPacer pacer, EventSink sink, long count, Duration duration,
    BooleanSupplier stop, Duration progressEvery, Consumer<String> progress, LongSupplier nanoClock) {

  /**
   * Sends until one of the ends above, then flushes the sink.
   *
   * @return records handed to the sink
   * @throws ProducerException when the sink reports a non-retriable delivery failure (Kafka refused a record)
   * @throws InterruptedException when interrupted while pacing
   */
  public long run() throws InterruptedException {
    long start = nanoClock.getAsLong();
    long deadline = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
    long nextProgress = start + progressEvery.toNanos();
    long sent = 0;
    long sentAtLastProgress = 0;
    long lastProgress = start;
    while (!stop.getAsBoolean() && (count == 0 || sent < count) && source.hasNext()) {
      ProducedRecord record = source.next();
      pacer.await(record);
      long now = nanoClock.getAsLong();
      if (now >= deadline) {
        break;
      }
      sink.send(record);
      sent++;
      if (now >= nextProgress) {
        double perSecond = (sent - sentAtLastProgress) * 1e9 / Math.max(1, now - lastProgress);
        progress.accept(String.format("sent %d, %.0f events/s, errors %d", sent, perSecond, sink.errors()));
        sentAtLastProgress = sent;
        lastProgress = now;
        nextProgress = now + progressEvery.toNanos();
      }
    }
    sink.flush();
    return sent;
  }
}
