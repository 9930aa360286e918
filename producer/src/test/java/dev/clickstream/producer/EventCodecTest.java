package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.contract.EventType;
import dev.clickstream.testkit.ContractCases;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {
  private static final UserActivityEvent VIEW = new UserActivityEvent("0b6f3f9e-3d4c-4bb8-9a53-0c3f0b0a1f11",
      Instant.parse("2026-11-23T12:00:00.123456Z"), "user-0001", "/cart", EventType.PAGE_VIEW);

  @Test
  void writesTheContractWithMillisecondUtcTime() {
    assertThat(EventCodec.toJson(VIEW)).isEqualTo("{\"event_id\":\"0b6f3f9e-3d4c-4bb8-9a53-0c3f0b0a1f11\","
        + "\"event_time\":\"2026-11-23T12:00:00.123Z\",\"user_id\":\"user-0001\",\"page_url\":\"/cart\",\"event_type\":\"page_view\"}");
  }

  @Test
  void readsOffsetsUnknownFieldsAndNullPageForSessionEvents() throws Exception {
    UserActivityEvent e = EventCodec.fromJson("{\"event_id\":\"x\",\"event_time\":\"2026-11-23T13:00:00.5+01:00\","
        + "\"user_id\":\"u\",\"page_url\":null,\"event_type\":\"session_start\",\"browser\":\"firefox\"}");
    assertThat(e.eventTime()).isEqualTo(Instant.parse("2026-11-23T12:00:00.500Z"));
    assertThat(e.pageUrl()).isNull();
    assertThat(e.eventType()).isEqualTo(EventType.SESSION_START);
  }

  /** The contract's one table of cases (the test kit's ContractCases), also run against the application's parser. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.clickstream.testkit.ContractCases#all")
  void classifiesEveryContractCaseAsTheApplicationDoes(ContractCases.Case c) {
    String got;
    try {
      EventCodec.fromBytes(c.value(), java.time.Instant.now(), EventCodec.DEFAULT_MAX_EVENT_TIME_SKEW);
      got = ContractCases.VALID;
    } catch (MalformedEventException e) {
      got = e.reason();
      assertThat(e.getMessage()).as("one line").doesNotContain("\n");
    }
    assertThat(got).as("%s: %s", c.name(), c.record()).isEqualTo(c.expect());
  }

  @Test
  void theSkewRuleComparesWithTheProcessingTime() throws Exception {
    String json = EventCodec.toJson(VIEW);
    Instant processing = VIEW.eventTime().minusSeconds(599);
    assertThat(EventCodec.fromJson(json, processing, java.time.Duration.ofMinutes(10))).isEqualTo(
        new UserActivityEvent(VIEW.eventId(), Instant.parse("2026-11-23T12:00:00.123Z"), VIEW.userId(), VIEW.pageUrl(), VIEW.eventType()));
    assertThatThrownBy(() -> EventCodec.fromJson(json, processing.minusSeconds(2), java.time.Duration.ofMinutes(10)))
        .isInstanceOf(MalformedEventException.class).hasMessage("event_time in future: 2026-11-23T12:00:00.123Z");
  }
}
