package dev.clickstream.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EventTypeTest {
  @Test
  void findsEveryTypeByItsWireNameAndNothingElse() {
    for (EventType t : EventType.values()) {
      assertThat(EventType.fromWire(t.wireName())).contains(t);
      assertThat(EventType.ofWire(t.wireName())).isSameAs(t);
      // the wire name is the exact, lower-case value: the enum's name or another case is not one
      assertThat(EventType.fromWire(t.name())).isEmpty();
    }
    assertThat(EventType.fromWire(null)).isEmpty();
    assertThat(EventType.fromWire("")).isEmpty();
    assertThat(EventType.fromWire("page_view ")).isEmpty();
    assertThatThrownBy(() -> EventType.ofWire("refund")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown event_type refund");
  }
}
