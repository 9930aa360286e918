package dev.clickstream.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.clickstream.testkit.ContractCases;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one validator over arbitrary bytes, coverage-guided by Jazzer: whatever a record's value, {@link
 * EventRecordParser#parse} returns a valid event or a dead-letter reason of the contract, never throws, and an event
 * it accepts is written back as JSON and read again to the same event.
 *
 * <p>{@code make test} runs the property over the corpus, {@code EventRecordParserFuzzTestInputs/acceptsOrRejectsAnyBytes}
 * in the test resources (every input the fuzzer ever kept, findings included), and over the contract's table of
 * cases (the test kit's {@code ContractCases}, where every finding also becomes a named case). {@code make fuzz}
 * ({@code JAZZER_FUZZ=1}, {@code FUZZ_DURATION}, default 5 minutes) searches further and writes what fails into the
 * same corpus directory.
 */
class EventRecordParserFuzzTest {
  /** A fixed arrival time (2026-11-23T12:00:00Z, µs) so that a finding replays the same way on any day. */
  private static final long ARRIVAL_MICROS = 1_795_435_200_000_000L;
  private static final long SKEW_MICROS = 60_000_000L;
  private static final JsonFactory JSON = new JsonFactory();

  @FuzzTest(maxDuration = "5m")
  @DictionaryEntries({"\"event_id\"", "\"event_time\"", "\"user_id\"", "\"page_url\"", "\"event_type\"",
      "\"product_id\"", "\"category\"", "\"price\"", "\"quantity\"", "\"currency\"", "\"order_id\"",
      "\"device\"", "\"country\"", "\"page_view\"", "\"click\"", "\"session_start\"", "\"session_end\"",
      "\"add_to_cart\"", "\"purchase\"", "\"mobile\"", "2026-11-23T12:00:00.123Z", "+01:00", "\\u0000",
      "\\ud800", "\\udc00", "12.50", "1e2", "null", "true", "\u00fe\u00ff", "\u00ef\u00bb\u00bf"})
  void acceptsOrRejectsAnyBytes(byte[] value) throws IOException {
    holdsFor(value);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.clickstream.testkit.ContractCases#all")
  void holdsForEveryContractCase(ContractCases.Case c) throws IOException {
    holdsFor(c.value());
  }

  private static void holdsFor(byte[] value) throws IOException {
    EventRecordParser.Event e = EventRecordParser.parse(value, ARRIVAL_MICROS, SKEW_MICROS);
    if (e.error() != null) {
      assertThat(e.reason()).as("the reason of %s", e.error()).isNotNull();
      assertThat(e.error().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(EventContract.MAX_ERROR_BYTES);
      assertThat(e.eventId()).isNull();
      return;
    }
    assertThat(e.reason()).isNull();
    assertThat(value.length).isLessThanOrEqualTo(EventContract.MAX_RECORD_BYTES);
    assertThat(e.eventId()).isNotEmpty();
    assertThat(e.userId()).isNotEmpty();
    assertThat(EventType.fromWire(e.eventType())).isPresent();
    assertThat(e.eventTime()).isNotNull();
    byte[] again = json(e);
    assertThat(EventRecordParser.parse(again, ARRIVAL_MICROS, SKEW_MICROS))
        .as("written back: %s", new String(again, StandardCharsets.UTF_8)).isEqualTo(e);
  }

  /** @return the event as a UTF-8 JSON object of the contract's fields (event_time ISO-8601 UTC to the µs) */
  private static byte[] json(EventRecordParser.Event e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("event_id", e.eventId());
      g.writeStringField("event_time", e.eventTime().toString());
      g.writeStringField("user_id", e.userId());
      g.writeStringField("page_url", e.pageUrl());
      g.writeStringField("event_type", e.eventType());
      g.writeStringField("product_id", e.productId());
      g.writeStringField("category", e.category());
      if (e.price() != null) {
        g.writeFieldName("price");
        g.writeNumber(e.price().toPlainString());
      }
      if (e.quantity() != null) {
        g.writeNumberField("quantity", e.quantity());
      }
      g.writeStringField("currency", e.currency());
      g.writeStringField("order_id", e.orderId());
      g.writeStringField("device", e.device());
      g.writeStringField("country", e.country());
      g.writeEndObject();
    }
    return out.toByteArray();
  }
}
