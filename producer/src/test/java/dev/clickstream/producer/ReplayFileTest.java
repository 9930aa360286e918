package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.contract.EventType;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReplayFileTest {
  @Test
  void jsonLinesKeepGoodLinesAndReportBadOnesWithLineNumbers() throws IOException {
    String text = """
        {"event_id":"a","event_time":"2026-11-23T12:00:00Z","user_id":"u1","page_url":null,"event_type":"session_start"}
        this is not json

        {"event_id":"b","event_time":"2026-11-23T12:00:01Z","user_id":"u1","page_url":"/","event_type":"page_view"}
        {"event_id":"c","event_time":"2026-11-23T12:00:02Z","user_id":"u1","page_url":"/","event_type":"teleport"}
        """;
    ReplayFile file = ReplayFile.readJsonLines(new StringReader(text));
    assertThat(file.events()).extracting(UserActivityEvent::eventId).containsExactly("a", "b");
    assertThat(file.badLines()).extracting(ReplayFile.BadLine::line).containsExactly(2L, 5L);
    assertThat(file.badLines().get(1).reason()).isEqualTo("unknown event_type: teleport");
  }

  @Test
  void csvWithOptionalEventIdAndBadRows() throws IOException {
    String text = """
        event_time,user_id,page_url,event_type
        2026-11-23T12:00:00Z,u1,,session_start
        2026-11-23T12:00:05.250Z,u1,/product/7,page_view
        not-a-time,u2,/,click
        2026-11-23T12:00:09Z,,/,click
        2026-11-23T12:00:10Z,u1,,session_end
        """;
    ReplayFile file = ReplayFile.readCsv(new StringReader(text));
    assertThat(file.events()).extracting(UserActivityEvent::eventType)
        .containsExactly(EventType.SESSION_START, EventType.PAGE_VIEW, EventType.SESSION_END);
    assertThat(file.events().get(1).eventTime()).isEqualTo(Instant.parse("2026-11-23T12:00:05.250Z"));
    assertThat(file.events().get(0).pageUrl()).isNull();
    assertThat(file.events()).extracting(UserActivityEvent::eventId).doesNotContainNull().doesNotHaveDuplicates();
    assertThat(file.badLines()).extracting(ReplayFile.BadLine::line).containsExactly(4L, 5L);
    assertThat(file.badLines().get(0).reason()).isEqualTo("unparsable event_time: not-a-time");
    assertThat(file.badLines().get(1).reason()).isEqualTo("user_id is missing");
  }

  @Test
  void csvKeepsAGivenEventId() throws IOException {
    ReplayFile file = ReplayFile.readCsv(new StringReader(
        "event_time,user_id,page_url,event_type,event_id\n2026-11-23T12:00:00Z,u1,/,click,id-1\n"));
    assertThat(file.events()).extracting(UserActivityEvent::eventId).containsExactly("id-1");
  }

  @Test
  void csvWithCommerceColumnsKeepsPricesExactAndAppliesTheContractsRules() throws IOException {
    String text = """
        event_time,user_id,event_type,page_url,product_id,category,price,quantity,currency,order_id,device,country
        2026-11-23T12:00:00Z,u1,add_to_cart,/product/p-1,p-1,books,19.90,2,EUR,,mobile,DE
        2026-11-23T12:00:05Z,u1,purchase,/checkout,p-1,books,0.10,,EUR,o-1,mobile,DE
        2026-11-23T12:00:06Z,u1,purchase,/checkout,p-1,books,19.90,2,EUR,,mobile,DE
        2026-11-23T12:00:07Z,u1,purchase,/checkout,p-1,books,19.999,2,EUR,o-2,mobile,DE
        2026-11-23T12:00:08Z,u1,purchase,/checkout,p-1,books,cheap,2,EUR,o-3,mobile,DE
        2026-11-23T12:00:09Z,u1,page_view,/,,,,,,,watch,DE
        """;
    ReplayFile file = ReplayFile.readCsv(new StringReader(text));
    assertThat(file.events()).hasSize(2);
    assertThat(file.events().get(0).price()).isEqualTo(new java.math.BigDecimal("19.90"));
    assertThat(file.events().get(0).amount()).isEqualTo(new java.math.BigDecimal("39.80"));
    assertThat(file.events().get(0).device()).isEqualTo("mobile");
    assertThat(file.events().get(1).orderId()).isEqualTo("o-1");
    assertThat(file.events().get(1).units()).isEqualTo(1);
    assertThat(file.badLines()).extracting(ReplayFile.BadLine::reason).containsExactly(
        "order_id is missing (required for purchase)", "invalid price: 19.999", "wrong type: price must be a number",
        "unknown device: watch");
    // what is sent is the contract's JSON, the price as written
    assertThat(file.toRecords(java.time.Duration.ZERO).get(0).value()).contains("\"price\":19.90,\"quantity\":2");
  }

  @Test
  void csvWithoutTheRequiredHeaderIsRejected() {
    assertThatThrownBy(() -> ReplayFile.readCsv(new StringReader("time,user\n1,2\n")))
        .isInstanceOf(IOException.class).hasMessageContaining("event_time");
  }
}
