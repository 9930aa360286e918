package dev.clickstream.app;

import dev.clickstream.app.config.Settings;
import dev.clickstream.contract.EventType;
import dev.clickstream.producer.EventCodec;
import dev.clickstream.producer.ProducedRecord;
import dev.clickstream.producer.TrafficGenerator;
import dev.clickstream.producer.TrafficProfile;
import dev.clickstream.producer.UserActivityEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The oracle tests' data set: ~50k records over ~30 minutes of event time from the producer's generator,
 * every 50th late by 15 minutes, every 500th malformed, two events dated 2099 (a client's wrong clock), and
 * resends of on-time events after the first chunk (an at-least-once producer's retries: the same record again):
 * every {@link #RESEND_NEXT_EVERY}th right after itself (the same micro-batch, mostly), every
 * {@link #RESEND_LATER_EVERY}th {@link #RESEND_LATER_BY} records later (~1 minute of event time: another
 * micro-batch, inside the watermark), and every 3rd purchase {@link #PURCHASE_RESEND_BY} records later.
 *
 * <p>Every query reads the topic in micro-batches of at most {@link #MAX_OFFSETS_PER_TRIGGER} records (about 3
 * minutes of event time).
 *
 * <p>Spark filters late rows with the watermark of the previous micro-batch (the "watermark for late
 * events" that makes chained stateful operators correct), so nothing is dropped in the first two micro-batches
 * of a fresh checkpoint. The first {@link #FIRST_CHUNK} generated records are therefore sent without their late
 * ones; they fill the first two micro-batches of at most {@link #MAX_OFFSETS_PER_TRIGGER} records each.
 * Every later late record lies 15 minutes behind the generator's clock, while a micro-batch spans at most ~3
 * minutes of event time, so the watermark it is compared with trails the clock by at most ~3 + 2 = 5 minutes and
 * it is dropped whatever the batch boundaries: it is older than the watermark.
 */
final class ClickstreamData {
  static final Instant START = Instant.parse("2026-11-23T12:00:00Z");
  static final int TOTAL = 50_000;
  static final int FIRST_CHUNK = 12_000;
  static final Duration LATE_BY = Duration.ofMinutes(15);
  static final long MAX_OFFSETS_PER_TRIGGER = 5_000;
  /** The event time of two records from a client with a wrong clock. */
  static final Instant FUTURE = Instant.parse("2099-01-01T00:00:00Z");
  static final int RESEND_NEXT_EVERY = 400;
  static final int RESEND_LATER_EVERY = 700;
  static final int RESEND_LATER_BY = 1_500;
  static final int PURCHASE_RESEND_BY = 300;

  /** The records to send, in order (late ones of the first chunk left out). */
  final List<ProducedRecord> records;
  private final int firstChunkSize;

  ClickstreamData(long seed) {
    TrafficProfile profile = TrafficProfile.defaults(seed, START, TOTAL / 1800.0)
        .withLate(50, LATE_BY).withMalformedEvery(500);
    TrafficGenerator generator = new TrafficGenerator(profile);
    List<ProducedRecord> all = new ArrayList<>();
    int kept = 0;
    for (int i = 0; i < TOTAL; i++) {
      if (i == FIRST_CHUNK) {
        kept = all.size();
      }
      ProducedRecord r = generator.next();
      if (i < FIRST_CHUNK && r.kind() == ProducedRecord.Kind.LATE) {
        continue;
      }
      all.add(r);
    }
    // a client whose clock is decades ahead, twice in the middle of the stream: both records must go to the
    // dead-letter topic; if either reached a watermark, every later window and session would be dropped as late
    for (int at : new int[] {FIRST_CHUNK + 8_000, FIRST_CHUNK + 23_000}) {
      UserActivityEvent base = all.get(at).event();
      UserActivityEvent future = new UserActivityEvent("future-" + at, FUTURE, base.userId(), base.pageUrl(), base.eventType(),
          base.productId(), base.category(), base.price(), base.quantity(), base.currency(),
          base.orderId() == null ? null : "future-" + base.orderId(), base.device(), base.country());
      all.add(at, new ProducedRecord(future.userId(), EventCodec.toJson(future), ProducedRecord.Kind.ON_TIME, future, null));
    }
    // resends, from the end backwards so that the indices of earlier insertions stay valid
    for (int at = all.size() - 1; at >= kept; at--) {
      ProducedRecord r = all.get(at);
      if (r.kind() != ProducedRecord.Kind.ON_TIME || r.event().eventTime().equals(FUTURE)) {
        continue;
      }
      if ((at - kept) % RESEND_LATER_EVERY == 0) {
        all.add(Math.min(at + RESEND_LATER_BY, all.size()), r);
      }
      if ((at - kept) % RESEND_NEXT_EVERY == 0) {
        all.add(at + 1, r);
      }
    }
    // every 3rd on-time purchase after the first chunk is sent again ~300 records later (another micro-batch,
    // inside the watermark): an order must count once however often it comes
    List<Integer> purchases = new ArrayList<>();
    for (int at = kept; at < all.size(); at++) {
      ProducedRecord r = all.get(at);
      if (r.kind() == ProducedRecord.Kind.ON_TIME && r.event().orderId() != null && !r.event().eventTime().equals(FUTURE)) {
        purchases.add(at);
      }
    }
    for (int i = purchases.size() - 1; i >= 0; i--) { // backwards: earlier indices stay valid
      if (i % 3 == 0) {
        int at = purchases.get(i);
        ProducedRecord resend = all.get(at);
        if (i % 2 == 1) { // every other one as a client that made a new event of it: new event_id, 30 s later
          UserActivityEvent e = resend.event();
          UserActivityEvent again = new UserActivityEvent(e.eventId() + "-again", e.eventTime().plusSeconds(30),
              e.userId(), e.pageUrl(), e.eventType(), e.productId(), e.category(), e.price(), e.quantity(),
              e.currency(), e.orderId(), e.device(), e.country());
          resend = new ProducedRecord(again.userId(), EventCodec.toJson(again), ProducedRecord.Kind.ON_TIME, again, null);
        }
        all.add(Math.min(at + PURCHASE_RESEND_BY, all.size()), resend);
      }
    }
    int hostileAt = kept + 15_000;
    all.addAll(hostileAt, hostile(all.subList(kept, hostileAt).stream()
        .filter(r -> r.kind() == ProducedRecord.Kind.ON_TIME && !r.event().eventTime().equals(FUTURE))
        .reduce((a, b) -> b).orElseThrow().event()));
    this.records = List.copyOf(all);
    this.firstChunkSize = kept;
  }

  /** A not-JSON record value close to the input topic's default limit (1,048,588 bytes per batch). */
  static final int NEAR_LIMIT_BYTES = 1_048_400;
  /** Maximal purchases (price 9,999,999.99 x 9,999) in one window: their revenue overflowed numeric(14,2). */
  static final int MAXIMAL_ORDERS = 12;

  /**
   * Records that an ordinary web client or a bot can send and that once stopped the pipeline or were miscounted
   * (docs/pipeline.md, "What no record can do"), all in the middle of the stream at the time of {@code near}: NUL
   * characters, a page_url over the bound and one at it, a user_id of 256 UTF-8 bytes, a record over 64 KiB with a
   * huge event_type, a random value near the input topic's limit, two objects in one record, an object with text
   * after it, and maximal orders (the clock skew has a test of its own, at the real clock).
   */
  private static List<ProducedRecord> hostile(UserActivityEvent near) {
    java.util.Random random = new java.util.Random(29);
    String urlChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/";
    java.util.function.IntFunction<String> randomText = n -> {
      StringBuilder b = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        b.append(urlChars.charAt(random.nextInt(urlChars.length())));
      }
      return b.toString();
    };
    Instant t = near.eventTime();
    java.util.function.BiFunction<String, String, UserActivityEvent> view = (id, page) -> new UserActivityEvent(id, t,
        "hostile-user", page, EventType.PAGE_VIEW, null, null, null, null, null, null, "desktop", "DE");
    List<ProducedRecord> out = new ArrayList<>();
    java.util.function.Consumer<UserActivityEvent> valid = e ->
        out.add(new ProducedRecord(e.userId(), EventCodec.toJson(e), ProducedRecord.Kind.ON_TIME, e, null));
    java.util.function.BiConsumer<String, String> malformed = (key, value) ->
        out.add(new ProducedRecord(key, value, ProducedRecord.Kind.MALFORMED, null, null));
    malformed.accept("hostile-user", EventCodec.toJson(view.apply("h-nul-page", "/a\u0000b")));
    UserActivityEvent nulUser = view.apply("h-nul-user", "/");
    malformed.accept("u\u0000", EventCodec.toJson(new UserActivityEvent(nulUser.eventId(), t, "u\u0000", "/",
        EventType.PAGE_VIEW, null, null, null, null, null, null, null, null)));
    malformed.accept("hostile-user", EventCodec.toJson(view.apply("h-long-page", "/" + randomText.apply(4_999))));
    malformed.accept("hostile-user", EventCodec.toJson(view.apply("h-huge-type", "/"))
        .replace("\"page_view\"", "\"" + "x".repeat(600_000) + "\""));
    malformed.accept("hostile-user", randomText.apply(NEAR_LIMIT_BYTES));
    String plain = EventCodec.toJson(view.apply("h-twice", "/"));
    malformed.accept("hostile-user", plain + plain);
    malformed.accept("hostile-user", EventCodec.toJson(view.apply("h-trailing", "/")) + " and more");
    // valid at the bounds: they reach every table
    valid.accept(view.apply("h-page-at-bound", "/" + randomText.apply(2_047)));
    valid.accept(new UserActivityEvent("h-user-at-bound", t, "é".repeat(128), "/", EventType.PAGE_VIEW, null, null,
        null, null, null, null, null, null));
    for (int i = 0; i < MAXIMAL_ORDERS; i++) {
      valid.accept(new UserActivityEvent("h-max-order-" + i, t, "hostile-buyer-" + i, "/checkout", EventType.PURCHASE,
          "p-max", "luxury", new java.math.BigDecimal("9999999.99"), 9999, "EUR", "h-max-order-" + i, "desktop", "DE"));
    }
    return out;
  }

  /** @return the records of the first chunk, which must be in the topic before the pipeline first starts */
  List<ProducedRecord> firstChunk() {
    return records.subList(0, firstChunkSize);
  }

  /** @return the rest */
  List<ProducedRecord> rest() {
    return records.subList(firstChunkSize, records.size());
  }

  /**
   * Sends records with the producer's settings, optionally paced.
   *
   * @param perSecond 0 for unpaced
   */
  static void send(String bootstrapServers, String topic, List<ProducedRecord> records, int perSecond) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      long start = System.nanoTime();
      for (int i = 0; i < records.size(); i++) {
        ProducedRecord r = records.get(i);
        producer.send(new ProducerRecord<>(topic, r.key(), r.value()));
        if (perSecond > 0) {
          long due = start + (long) (i * 1e9 / perSecond);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            try {
              Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }
      }
      producer.flush();
    }
  }

  /**
   * The settings of a pipeline run against the given broker and database: data below {@code dataDir}, at most
   * {@link #MAX_OFFSETS_PER_TRIGGER} records per micro-batch, the lake committing every second in streaming runs
   * (available-now applies to it too), Spark local[2], no metrics port (tests that read metrics choose their own).
   */
  static Settings.Builder settings(String bootstrap, String jdbcUrl, String user, String password, Path dataDir,
      String trigger) {
    return Settings.builder().kafkaBootstrapServers(bootstrap).database(jdbcUrl, user, password)
        .lakePath(dataDir.resolve("lake")).checkpointRoot(dataDir.resolve("checkpoints")).triggerInterval(trigger)
        .maxOffsetsPerTrigger(MAX_OFFSETS_PER_TRIGGER).lakeTriggerInterval(Duration.ofSeconds(1))
        .sparkMaster("local[2]").metricsPort(0);
  }
}
