package dev.clickstream.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.contract.EventRecordParser.Event;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The record parser on its own (no Spark): what the contract cases (run through Spark in {@code EventParserTest})
 * do not pin down: exact values, time zones and precision, the skew boundary, JSON corner cases.
 */
class EventRecordParserTest {
  private static final long NOW = micros(Instant.parse("2026-11-23T12:00:00Z"));
  private static final long SKEW = 600_000_000L; // 10 minutes

  private static Event parse(String value) {
    return EventRecordParser.parse(value == null ? null : value.getBytes(StandardCharsets.UTF_8), NOW, SKEW);
  }

  private static String purchase(String extra) {
    return "{\"event_id\":\"e1\",\"event_time\":\"2026-11-23T11:59:00Z\",\"user_id\":\"u1\",\"event_type\":\"purchase\","
        + "\"product_id\":\"p-1\",\"category\":\"books\",\"price\":19.90,\"currency\":\"EUR\",\"order_id\":\"o-1\"" + extra
        + "}";
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  @Test
  void aValidPurchaseKeepsEveryValueExactlyAsWritten() {
    Event e = parse(purchase(",\"quantity\":3,\"device\":\"tablet\",\"country\":\"FR\",\"referrer\":{\"a\":[1,{}]}"));
    assertThat(e.error()).isNull();
    assertThat(e.eventId()).isEqualTo("e1");
    assertThat(e.eventTime()).isEqualTo(Instant.parse("2026-11-23T11:59:00Z"));
    assertThat(e.price()).isEqualTo(new BigDecimal("19.90")).extracting(BigDecimal::scale).isEqualTo(2);
    assertThat(e.quantity()).isEqualTo(3);
    assertThat(e).extracting(Event::productId, Event::category, Event::currency, Event::orderId, Event::device,
        Event::country).containsExactly("p-1", "books", "EUR", "o-1", "tablet", "FR");
    assertThat(e.pageUrl()).isNull();
  }

  @Test
  void eventTimeTakesEveryOffsetFormAndKeepsMicroseconds() {
    assertThat(EventRecordParser.instant("2026-11-23T13:00:00.1234567+01:00")).isEqualTo("2026-11-23T12:00:00.123456Z");
    assertThat(EventRecordParser.instant("2026-11-23T06:30:00-0530")).isEqualTo("2026-11-23T12:00:00Z");
    assertThat(EventRecordParser.instant("2026-11-23T12:00Z")).isEqualTo("2026-11-23T12:00:00Z");
    assertThat(EventRecordParser.instant("2026-11-23T12:00:00.5Z")).isEqualTo("2026-11-23T12:00:00.500Z");
    for (String bad : new String[] {"2026-02-30T12:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T12:00:00+19:00",
        "2026-11-23T12:00:00", "2026-11-23 12:00:00Z", "2026-11-23T12:00:00.1234567890Z"}) {
      assertThat(EventRecordParser.instant(bad)).as(bad).isNull();
    }
  }

  @Test
  void theSkewBoundaryIsInclusive() {
    String atLimit = "{\"event_id\":\"e1\",\"event_time\":\"2026-11-23T12:10:00Z\",\"user_id\":\"u1\",\"event_type\":\"session_start\"}";
    assertThat(parse(atLimit).error()).isNull();
    assertThat(parse(atLimit.replace("12:10:00Z", "12:10:00.000001Z")).error())
        .isEqualTo("event_time in future: 2026-11-23T12:10:00.000001Z");
  }

  @Test
  void jsonCornerCases() {
    assertThat(parse(null).error()).isEqualTo("not JSON: empty value");
    assertThat(parse(" \n\t").error()).isEqualTo("not JSON: empty value");
    assertThat(parse("[{\"event_id\":\"e1\"}]").error()).isEqualTo("not JSON: not an object");
    assertThat(parse("{\"event_id\":NaN}").error()).startsWith("not JSON: ");
    assertThat(parse(purchase("").replace("19.90", "019.90")).error()).startsWith("not JSON: ");
    assertThat(parse(purchase("").replace("\"order_id\":\"o-1\"", "/* c */\"order_id\":\"o-1\"")).error())
        .startsWith("not JSON: ");
    // of a field given twice the last counts; a key inside a string value is not a field
    assertThat(parse(purchase(",\"price\":5")).price()).isEqualTo(new BigDecimal("5"));
    assertThat(parse(purchase(",\"user_id\":7")).error()).isEqualTo("wrong type: user_id must be a string");
    assertThat(parse(purchase("").replace("books", "x\\\"price\\\":-1")).category()).isEqualTo("x\"price\":-1");
    // an empty optional string is absent; an empty page_url stays what it was on a type that needs none
    Event empty = parse(purchase(",\"device\":\"\",\"country\":\"\",\"page_url\":\"\""));
    assertThat(empty.error()).isNull();
    assertThat(empty.device()).isNull();
    assertThat(empty.country()).isNull();
    assertThat(empty.pageUrl()).isEmpty();
  }

  @Test
  void aMalformedRecordCarriesOnlyItsErrorAndReason() {
    Event e = parse(purchase("").replace("19.90", "19.999"));
    assertThat(e.error()).isEqualTo("invalid price: 19.999");
    assertThat(e).isEqualTo(new Event(null, null, null, null, null, null, null, null, null, null, null, null, null,
        "invalid price: 19.999", Reason.INVALID_PRICE));
  }

  /** A dead letter quotes what is wrong, but at most 1 KiB of it: the header never makes the record too large. */
  @Test
  void anErrorMessageIsAtMostOneKibibyte() {
    String huge = "é".repeat(30_000); // 60,000 UTF-8 bytes, inside the 64 KiB record bound
    Event e = parse("{\"event_id\":\"e1\",\"event_time\":\"2026-11-23T11:59:00Z\",\"user_id\":\"u1\","
        + "\"event_type\":\"" + huge + "\"}");
    assertThat(e.error()).startsWith("unknown event_type: éé").endsWith("...");
    assertThat(e.error().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(EventContract.MAX_ERROR_BYTES)
        .isGreaterThan(EventContract.MAX_ERROR_BYTES - 4);
    assertThat(EventRecordParser.truncated("short", 1024)).isEqualTo("short");
    // whole characters only: a 4-byte character is never cut in half
    assertThat(EventRecordParser.truncated("ab\uD83D\uDE00\uD83D\uDE00", 9)).isEqualTo("ab\uD83D\uDE00...");
    assertThat(EventRecordParser.utf8Length("aé€\uD83D\uDE00")).isEqualTo(1 + 2 + 3 + 4);
  }

  @Test
  void aRecordOverTheBoundIsTooLargeBeforeAnythingElse() {
    byte[] big = new byte[EventContract.MAX_RECORD_BYTES + 1];
    java.util.Arrays.fill(big, (byte) 'x'); // not JSON either: the size is checked first
    assertThat(EventRecordParser.parse(big, NOW, SKEW).error()).isEqualTo("record too large: 65537 bytes (at most 65536)");
  }
}
