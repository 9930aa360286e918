package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code --duplicate-every} and {@code --batch-size}, without Kafka. */
class ResendsTest {
  private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");

  private static List<ProducedRecord> take(Iterator<ProducedRecord> it, int n) {
    List<ProducedRecord> out = new ArrayList<>();
    while (out.size() < n && it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }

  @Test
  void everyNthRecordIsAnEarlierValidRecordUnchanged() {
    Iterator<ProducedRecord> source = new TrafficGenerator(TrafficProfile.defaults(3, START, 100).withMalformedEvery(7));
    List<ProducedRecord> records = take(Resends.every(source, 10, 42), 1000);
    Map<String, Integer> firstSeen = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      ProducedRecord r = records.get(i);
      boolean resend = (i + 1) % 10 == 0;
      assertThat(r.kind() == ProducedRecord.Kind.RESENT).as("record %d", i).isEqualTo(resend);
      if (resend) {
        assertThat(r.isValid()).isTrue();
        Integer original = firstSeen.get(r.value());
        assertThat(original).as("a resend repeats a record sent before it").isNotNull();
        assertThat(i - original).as("from the recent records").isLessThanOrEqualTo(2 * Resends.WINDOW);
        assertThat(records.get(original).kind()).isNotEqualTo(ProducedRecord.Kind.MALFORMED);
        assertThat(r.key()).isEqualTo(records.get(original).key());
        assertThat(r.event().eventId()).isEqualTo(records.get(original).event().eventId());
      } else {
        firstSeen.putIfAbsent(r.value(), i);
      }
    }
    assertThat(records).filteredOn(r -> r.kind() == ProducedRecord.Kind.RESENT).hasSize(100);
    // reproducible with the same seed
    List<ProducedRecord> again = take(Resends.every(new TrafficGenerator(TrafficProfile.defaults(3, START, 100).withMalformedEvery(7)),
        10, 42), 1000);
    assertThat(again).extracting(ProducedRecord::value).isEqualTo(records.stream().map(ProducedRecord::value).toList());
  }

  @Test
  void noneWithZeroAndASourceThatEndsStillEnds() {
    Iterator<ProducedRecord> source = new TrafficGenerator(TrafficProfile.defaults(3, START, 100));
    assertThat(Resends.every(source, 0, 1)).isSameAs(source);
    List<ProducedRecord> three = take(new TrafficGenerator(TrafficProfile.defaults(3, START, 100)), 3);
    List<ProducedRecord> out = take(Resends.every(three.iterator(), 2, 1), 100);
    // r0, resend, r1, resend, r2, resend: every second record, the one after the source's last included
    assertThat(out).extracting(ProducedRecord::kind).containsExactly(ProducedRecord.Kind.ON_TIME, ProducedRecord.Kind.RESENT,
        ProducedRecord.Kind.ON_TIME, ProducedRecord.Kind.RESENT, ProducedRecord.Kind.ON_TIME, ProducedRecord.Kind.RESENT);
    assertThatThrownBy(() -> Resends.every(source, 1, 1)).hasMessageContaining("at least 2");
  }

  @Test
  void aBatchSizeFlushesAfterEveryNRecords() {
    List<String> calls = new ArrayList<>();
    EventSink recording = new EventSink() {
      @Override public void send(ProducedRecord record) { calls.add("send"); }
      @Override public long errors() { return 0; }
      @Override public void flush() { calls.add("flush"); }
      @Override public void close() { calls.add("close"); }
    };
    EventSink sink = FlushingSink.of(recording, 3);
    Stream.generate(new TrafficGenerator(TrafficProfile.defaults(3, START, 100))::next).limit(7).forEach(sink::send);
    sink.close();
    assertThat(calls).containsExactly("send", "send", "send", "flush", "send", "send", "send", "flush", "send", "close");
    assertThat(FlushingSink.of(recording, 0)).isSameAs(recording);
    assertThatThrownBy(() -> FlushingSink.of(recording, -1)).hasMessageContaining("--batch-size");
  }
}
