package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.contract.EventType;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecordPacerTest {
  private static ProducedRecord at(long ms) {
    UserActivityEvent e = new UserActivityEvent("e" + ms, Instant.ofEpochMilli(ms), "u", "/", EventType.CLICK);
    return new ProducedRecord("u", EventCodec.toJson(e), ProducedRecord.Kind.ON_TIME, e, null);
  }

  @Test
  void replayKeepsTheRecordedGapsDividedBySpeedup() throws Exception {
    RecordPacer pacer = RecordPacer.byEventTime(2, System::nanoTime);
    long start = System.nanoTime();
    pacer.await(at(1_000));
    pacer.await(at(1_400)); // 400 ms later in event time, at 2x: due 200 ms after the first
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(195);
  }

  @Test
  void aRecordAlreadyDueIsNotDelayed() throws Exception {
    long[] clock = {0};
    RecordPacer pacer = RecordPacer.byEventTime(1, () -> clock[0]);
    pacer.await(at(0));
    clock[0] = 5_000_000_000L; // the sender is 5 s behind
    long start = System.nanoTime();
    pacer.await(at(1_000));
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_000);
  }
}
