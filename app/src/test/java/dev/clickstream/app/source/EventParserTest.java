package dev.clickstream.app.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.clickstream.contract.EventRecordParser;
import dev.clickstream.testkit.ContractCases;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Parsing and dead-letter classification on a batch DataFrame shaped like Spark's Kafka source. */
class EventParserTest {
  private static final StructType KAFKA = new StructType()
      .add("key", DataTypes.BinaryType).add("value", DataTypes.BinaryType).add("topic", DataTypes.StringType)
      .add("partition", DataTypes.IntegerType).add("offset", DataTypes.LongType).add("timestamp", DataTypes.TimestampType);
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "1").getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private static String event(String id, String time, String user, String page, String type) {
    return "{\"event_id\":" + q(id) + ",\"event_time\":" + q(time) + ",\"user_id\":" + q(user) + ",\"page_url\":" + q(page)
        + ",\"event_type\":" + q(type) + "}";
  }

  private static String q(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  /** Kafka rows with these values, offsets 0, 1, ..., parsed with the default MAX_EVENT_TIME_SKEW (1 minute), by offset. */
  private static Dataset<Row> parse(List<String> values) {
    return parseBytes(values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
  }

  /** Kafka rows with these values, arrived now (their Kafka timestamp), offsets 0, 1, ..., parsed as {@link #parse}. */
  private static Dataset<Row> parseBytes(List<byte[]> values) {
    List<Row> rows = new ArrayList<>();
    long offset = 0;
    Timestamp arrived = new Timestamp(System.currentTimeMillis());
    for (byte[] value : values) {
      rows.add(RowFactory.create("u1".getBytes(StandardCharsets.UTF_8), value, "user_activity", 0, offset++, arrived));
    }
    return EventParser.parse(spark.createDataFrame(rows, KAFKA), java.time.Duration.ofMinutes(1)).orderBy("source_offset");
  }

  /** The contract's one table of cases (the test kit's ContractCases), also run against the producer's codec. */
  @Test
  void classifiesEveryContractCaseAsTheProducersCodecDoes() {
    List<ContractCases.Case> cases = ContractCases.all();
    List<String> got = parseBytes(cases.stream().map(ContractCases.Case::value).toList())
        .select(org.apache.spark.sql.functions.coalesce(col("reason"), lit(ContractCases.VALID)))
        .collectAsList().stream().map(r -> r.getString(0)).toList();
    org.assertj.core.api.SoftAssertions softly = new org.assertj.core.api.SoftAssertions();
    for (int i = 0; i < cases.size(); i++) {
      softly.assertThat(got.get(i)).as("%s: %s", cases.get(i).name(), cases.get(i).record()).isEqualTo(cases.get(i).expect());
    }
    softly.assertAll();
    assertThat(cases).extracting(ContractCases.Case::expect).as("every reason has a case").containsAll(dev.clickstream.contract.EventContract.REASONS);
  }

  /**
   * Every record the validator accepts (the contract's valid cases and every input of the fuzz corpus it accepts)
   * reaches enriched_activity as JSON that the validator reads back to the same event: the same fields, the price to
   * its two decimals, event_time to the millisecond the enriched record carries.
   */
  @Test
  void everyAcceptedRecordRoundTripsThroughTheEnrichedJson() throws Exception {
    List<byte[]> values = new ArrayList<>();
    ContractCases.all().stream().filter(c -> c.expect().equals(ContractCases.VALID)).forEach(c -> values.add(c.value()));
    java.nio.file.Path corpus = java.nio.file.Path.of("..", "contract", "src", "test", "resources", "dev", "clickstream",
        "contract", "EventRecordParserFuzzTestInputs", "acceptsOrRejectsAnyBytes");
    try (var files = java.nio.file.Files.list(corpus)) {
      for (java.nio.file.Path f : files.sorted().toList()) {
        values.add(java.nio.file.Files.readAllBytes(f));
      }
    }
    long now = System.currentTimeMillis() * 1000;
    List<String> accepted = values.stream().map(v -> EventRecordParser.parse(v, now, 60_000_000L))
        .filter(e -> e.error() == null).map(EventParserTest::comparable).sorted().toList();
    List<String> roundTripped = EventParser.validEvents(parseBytes(values))
        .select(dev.clickstream.app.analytics.EnrichedEvents.json()).collectAsList().stream()
        .map(r -> EventRecordParser.parse(r.getString(0).getBytes(StandardCharsets.UTF_8), now, 60_000_000L))
        .map(EventParserTest::comparable).sorted().toList();
    assertThat(accepted).hasSizeGreaterThan(100);
    assertThat(roundTripped).isEqualTo(accepted);
  }

  /** @return the event as text, event_time truncated to ms and the price to scale 2 (the enriched record's forms) */
  private static String comparable(EventRecordParser.Event e) {
    return new EventRecordParser.Event(e.eventId(), e.eventTime() == null ? null
        : e.eventTime().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), e.userId(), e.pageUrl(), e.eventType(),
        e.productId(), e.category(), e.price() == null ? null : e.price().setScale(2), e.quantity(), e.currency(),
        e.orderId(), e.device(), e.country(), e.error(), e.reason()).toString();
  }

  /**
   * The parser is a barrier: the filters of validEvents and deadLetters must not be pushed below it with a second
   * call per record (nor a select call it once per field). A range, not a local relation: the optimizer would
   * evaluate a filter over literal rows itself.
   */
  @Test
  void parsesEachRecordOnceWhateverReadsItsFields() {
    Dataset<Row> kafka = spark.range(3).select(lit(null).cast(DataTypes.BinaryType).as("key"),
        concat(lit("{\"event_id\":\"e"), col("id").cast(DataTypes.StringType), lit("\",\"event_time\":"
            + "\"2026-11-23T12:00:00Z\",\"user_id\":\"u1\",\"event_type\":\"session_start\"}")).cast(DataTypes.BinaryType).as("value"),
        lit("user_activity").as("topic"), lit(0).as("partition"), col("id").as("offset"), lit(new Timestamp(System.currentTimeMillis())).as("timestamp"));
    Dataset<Row> parsed = EventParser.parse(kafka, java.time.Duration.ofMinutes(10));
    for (Dataset<Row> read : List.of(EventParser.validEvents(parsed), EventParser.deadLetters(parsed))) {
      String plan = read.queryExecution().optimizedPlan().toString();
      assertThat(plan.split("UDF\\(", -1).length - 1).as(plan).isEqualTo(1);
    }
    assertThat(EventParser.validEvents(parsed).count()).isEqualTo(3);
  }

  @Test
  void classifiesEveryKindOfMalformedRecordWithItsReason() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put(event("a", "2026-11-23T12:00:00.123Z", "u1", "/", "page_view"), null);
    cases.put(event("b", "2026-11-23T13:00:00+01:00", "u1", null, "session_start"), null);
    cases.put("{\"event_id\":\"c\",\"event_ti", "not JSON: Unexpected end-of-input in field name");
    cases.put("", "not JSON: empty value");
    cases.put(event(null, "2026-11-23T12:00:00Z", "u1", "/", "click"), "event_id is missing");
    cases.put(event("d", null, "u1", "/", "click"), "event_time is missing");
    cases.put(event("e", "2026-11-23T12:00:00Z", null, "/", "click"), "user_id is missing");
    cases.put(event("f", "2026-11-23T12:00:00Z", "", "/", "click"), "user_id is missing");
    cases.put(event("g", "2026-11-23T12:00:00Z", "u1", "/", null), "event_type is missing");
    cases.put("{\"event_id\":\"n\",\"event_time\":\"2026-11-23T12:00:00Z\",\"user_id\":5,\"event_type\":\"click\"}",
        "wrong type: user_id must be a string");
    cases.put(event("h", "yesterday", "u1", "/", "click"), "unparsable event_time: yesterday");
    cases.put(event("i", "2026-11-23T12:00:00", "u1", "/", "click"), "unparsable event_time: 2026-11-23T12:00:00");
    // a client clock ahead by more than MAX_EVENT_TIME_SKEW (1 minute here); 30 s ahead is still valid
    cases.put(event("l", java.time.Instant.now().plusSeconds(30).toString(), "u1", "/", "click"), null);
    cases.put(event("m", "2099-01-01T00:00:00Z", "u1", "/", "click"), "event_time in future: 2099-01-01T00:00:00Z");
    cases.put(event("j", "2026-11-23T12:00:00Z", "u1", "/", "add_to_wishlist"), "unknown event_type: add_to_wishlist");
    // commerce: price exactly as written, never through a double
    String purchase = "{\"event_id\":\"p0\",\"event_time\":\"2026-11-23T12:00:00Z\",\"user_id\":\"u1\","
        + "\"event_type\":\"purchase\",\"product_id\":\"p-1\",\"category\":\"books\",\"price\":19.90,"
        + "\"quantity\":2,\"currency\":\"EUR\",\"order_id\":\"o-1\",\"device\":\"mobile\",\"country\":\"DE\"}";
    cases.put(purchase, null);
    cases.put(purchase.replace("\"product_id\":\"p-1\",", ""), "product_id is missing (required for purchase)");
    cases.put(purchase.replace("\"category\":\"books\",", "").replace("purchase", "add_to_cart"),
        "category is missing (required for add_to_cart)");
    cases.put(purchase.replace("\"price\":19.90,", ""), "price is missing (required for purchase)");
    cases.put(purchase.replace("\"currency\":\"EUR\",", ""), "currency is missing (required for purchase)");
    cases.put(purchase.replace("\"order_id\":\"o-1\",", ""), "order_id is missing (required for purchase)");
    cases.put(purchase.replace("19.90", "\"19.90\""), "wrong type: price must be a number");
    cases.put(purchase.replace("19.90", "19.999"), "invalid price: 19.999");
    cases.put(purchase.replace("\"quantity\":2", "\"quantity\":0"), "invalid quantity: 0");
    cases.put(purchase.replace("EUR", "eur"), "invalid currency: eur");
    cases.put(purchase.replace("mobile", "watch"), "unknown device: watch");
    cases.put(purchase.replace("\"DE\"", "\"Germany\""), "invalid country: Germany");
    // the bounds: no record can carry a value that a sink cannot hold
    String huge = "{\"event_id\":\"r\",\"padding\":\"" + "x".repeat(70_000) + "\"}";
    cases.put(huge, "record too large: " + huge.length() + " bytes (at most 65536)");
    cases.put(event("nul", "2026-11-23T12:00:00Z", "u1", "/a\\u0000b", "click"), "nul character: page_url");
    cases.put(event("sur", "2026-11-23T12:00:00Z", "u\\ud800", "/", "click"),
        "invalid unicode: user_id has a lone surrogate (an escape \\ud800-\\udfff)");
    cases.put(event("long", "2026-11-23T12:00:00Z", "u1", "/" + "a".repeat(2_048), "click"),
        "field too long: page_url is 2049 bytes (at most 2048)");
    cases.put(event("k", "2026-11-23T12:00:00Z", "u1", null, "page_view"), "page_url is missing (required for page_view)");
    Dataset<Row> parsed = parse(List.copyOf(cases.keySet()));
    List<String> errors = parsed.select("error").collectAsList().stream().map(r -> r.getString(0)).toList();
    assertThat(errors).containsExactlyElementsOf(cases.values());
    // every message has a stable code, and every code occurs here
    List<String> reasons = parsed.select(org.apache.spark.sql.functions.col("reason")).collectAsList()
        .stream().map(r -> r.getString(0)).toList();
    assertThat(reasons.stream().filter(java.util.Objects::nonNull).distinct().toList())
        .containsExactlyInAnyOrderElementsOf(dev.clickstream.contract.EventContract.REASONS);
    assertThat(reasons.get(reasons.size() - 1)).isEqualTo("page_url_is_missing");
    assertThat(reasons.stream().filter(java.util.Objects::isNull).count()).as("valid records have none").isEqualTo(4);

    List<Row> valid = EventParser.validEvents(parsed).orderBy("event_id").collectAsList();
    assertThat(valid).hasSize(4);
    assertThat(valid.get(3).<java.math.BigDecimal>getAs("price")).isEqualTo(new java.math.BigDecimal("19.90"));
    assertThat(valid.get(3).<Integer>getAs("quantity")).isEqualTo(2);
    assertThat(valid.get(3).<String>getAs("country")).isEqualTo("DE");
    assertThat(valid.get(0).<Timestamp>getAs("event_time").toInstant()).hasToString("2026-11-23T12:00:00.123Z");
    assertThat(valid.get(1).<Timestamp>getAs("event_time").toInstant()).hasToString("2026-11-23T12:00:00Z");
    assertThat(valid.get(1).<String>getAs("event_date")).isEqualTo("2026-11-23");

    List<Row> dead = EventParser.deadLetters(parsed).collectAsList();
    assertThat(dead).hasSize(cases.size() - 4);
    Row first = dead.get(0);
    assertThat(new String(first.<byte[]>getAs("value"), StandardCharsets.UTF_8)).isEqualTo("{\"event_id\":\"c\",\"event_ti");
    List<Row> headers = first.getList(first.fieldIndex("headers"));
    assertThat(headers).extracting(h -> h.getString(0))
        .containsExactly("error", "reason", "source_topic", "source_partition", "source_offset", "detected_at");
    assertThat(new String((byte[]) headers.get(1).get(1), StandardCharsets.UTF_8)).isEqualTo("not_json");
    assertThat(new String((byte[]) headers.get(4).get(1), StandardCharsets.UTF_8)).isEqualTo("2");
  }
}
