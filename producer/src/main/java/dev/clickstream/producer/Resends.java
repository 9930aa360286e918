package dev.clickstream.producer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * {@code --duplicate-every N}: every Nth record sent is one of the last {@value #WINDOW} valid records sent again,
 * unchanged (same key, value, event_id, order_id), as a client retry or an at-least-once upstream would; the
 * pipeline's aggregates must count it once (architecture §4: dedupe by event_id within the watermark). Malformed records
 * are never resent. The choice among the recent records is seeded, so a run is reproducible.
 */
public final class Resends implements Iterator<ProducedRecord> {
  /** How many recent valid records a resend is chosen from: a resend lands seconds, not hours, after its original. */
  static final int WINDOW = 64;

  private final Iterator<ProducedRecord> source;
  private final int every;
  private final Random random;
  private final List<ProducedRecord> recent = new ArrayList<>();
  private long emitted;

  private Resends(Iterator<ProducedRecord> source, int every, long seed) {
    this.source = source;
    this.every = every;
    this.random = new Random(seed);
  }

  /**
   * @param source the records to send
   * @param every N: every Nth record is a resend; 0 = none (the source itself is returned)
   * @param seed for the choice of the record to resend
   * @return the records with resends among them
   * @throws IllegalArgumentException when {@code every} is negative or 1 (every record a resend)
   */
  public static Iterator<ProducedRecord> every(Iterator<ProducedRecord> source, int every, long seed) {
    if (every < 0 || every == 1) {
      throw new IllegalArgumentException("--duplicate-every must be 0 (none) or at least 2 (got " + every + ")");
    }
    return every == 0 ? source : new Resends(source, every, seed);
  }

  @Override
  public boolean hasNext() {
    return source.hasNext() || resendDue();
  }

  private boolean resendDue() {
    return (emitted + 1) % every == 0 && !recent.isEmpty();
  }

  @Override
  public ProducedRecord next() {
    ProducedRecord r;
    if (resendDue()) {
      ProducedRecord original = recent.get(random.nextInt(recent.size()));
      r = new ProducedRecord(original.key(), original.value(), ProducedRecord.Kind.RESENT, original.event(), null);
    } else if (source.hasNext()) {
      r = source.next();
      if (r.isValid()) {
        if (recent.size() == WINDOW) {
          recent.remove(0);
        }
        recent.add(r);
      }
    } else {
      throw new NoSuchElementException();
    }
    emitted++;
    return r;
  }
}
