package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"event_id\":\"x\",\"event_ti|not JSON",
      "[1,2]|not a JSON object",
      "{\"event_id\":\"x\",\"event_time\":\"2026-11-23T12:00:00Z\",\"page_url\":\"/\",\"event_type\":\"click\"}|user_id is missing",
      "{\"event_id\":\"x\",\"event_time\":\"2026-11-23T12:00:00Z\",\"user_id\":\"\",\"page_url\":\"/\",\"event_type\":\"click\"}|user_id must be a non-empty string",
      "{\"event_id\":\"x\",\"event_time\":\"noon\",\"user_id\":\"u\",\"page_url\":\"/\",\"event_type\":\"click\"}|unparsable event_time: noon",
      "{\"event_id\":\"x\",\"event_time\":\"2026-11-23T12:00:00\",\"user_id\":\"u\",\"page_url\":\"/\",\"event_type\":\"click\"}|unparsable event_time",
      "{\"event_id\":\"x\",\"event_time\":\"2026-11-23T12:00:00Z\",\"user_id\":\"u\",\"page_url\":\"/\",\"event_type\":\"buy\"}|unknown event_type: buy",
      "{\"event_id\":\"x\",\"event_time\":\"2026-11-23T12:00:00Z\",\"user_id\":\"u\",\"event_type\":\"page_view\"}|page_url is missing",
  })
  void rejectsMalformedRecordsWithAReason(String json, String reason) {
    assertThatThrownBy(() -> EventCodec.fromJson(json)).isInstanceOf(MalformedEventException.class).hasMessageStartingWith(reason);
  }
}
