package dev.clickstream.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clickstream.contract.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TrafficGeneratorTest {
  private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");

  private static List<ProducedRecord> take(TrafficProfile profile, int n) {
    return Stream.generate(new TrafficGenerator(profile)::next).limit(n).toList();
  }

  @Test
  void sameSeedGivesTheSameRecordsAndAnotherSeedDoesNot() {
    TrafficProfile profile = TrafficProfile.defaults(7, START, 100).withMalformedEvery(97);
    assertThat(take(profile, 5_000)).isEqualTo(take(profile, 5_000));
    assertThat(take(TrafficProfile.defaults(8, START, 100), 100))
        .extracting(ProducedRecord::value).isNotEqualTo(take(TrafficProfile.defaults(7, START, 100), 100)
            .stream().map(ProducedRecord::value).toList());
  }

  @Test
  void everyNthRecordIsLateByTheConfiguredAmount() {
    Duration lateBy = Duration.ofMinutes(10);
    TrafficGenerator generator = new TrafficGenerator(TrafficProfile.defaults(1, START, 50).withLate(25, lateBy));
    int late = 0;
    for (int i = 1; i <= 10_000; i++) {
      ProducedRecord r = generator.next();
      assertThat(r.kind() == ProducedRecord.Kind.LATE).as("record %d", i).isEqualTo(i % 25 == 0);
      if (r.kind() == ProducedRecord.Kind.LATE) {
        late++;
        assertThat(Duration.between(r.event().eventTime(), generator.clock())).isBetween(lateBy, lateBy.plusMillis(1));
      }
    }
    assertThat(late).isEqualTo(10_000 / 25);
  }

  @Test
  void onTimeEventTimesFollowTheEventRate() {
    List<ProducedRecord> records = take(TrafficProfile.defaults(3, START, 20).withLate(0, Duration.ZERO), 1_200);
    assertThat(records.get(records.size() - 1).event().eventTime()).isEqualTo(START.plusSeconds(60));
    for (int i = 1; i < records.size(); i++) {
      assertThat(records.get(i).event().eventTime()).isAfterOrEqualTo(records.get(i - 1).event().eventTime());
    }
  }

  @Test
  void everyMalformedKindOccursAndIsRejectedByTheCodec() throws Exception {
    List<ProducedRecord> records = take(TrafficProfile.defaults(5, START, 100).withMalformedEvery(10), 1_000);
    EnumSet<MalformedKind> seen = EnumSet.noneOf(MalformedKind.class);
    for (ProducedRecord r : records) {
      if (r.kind() == ProducedRecord.Kind.MALFORMED) {
        seen.add(r.malformedKind());
        assertThatThrownBy(() -> EventCodec.fromJson(r.value())).isInstanceOf(MalformedEventException.class);
      } else {
        assertThat(EventCodec.fromJson(r.value())).isEqualTo(r.event());
        assertThat(r.key()).isEqualTo(r.event().userId());
      }
    }
    assertThat(records).filteredOn(r -> r.kind() == ProducedRecord.Kind.MALFORMED).hasSize(100);
    assertThat(seen).isEqualTo(EnumSet.allOf(MalformedKind.class));
  }

  @Test
  void sessionsAreWellFormedAndAboutTheAbandonShareTimeOut() {
    // 5 events/s for 500 users: few enough that the away-cap never binds, so the 20% share shows
    List<ProducedRecord> records = take(TrafficProfile.defaults(11, START, 5).withLate(0, Duration.ZERO), 60_000);
    Map<String, Boolean> inSession = new HashMap<>();
    Map<String, Instant> lastEvent = new HashMap<>();
    int ended = 0;
    int abandoned = 0;
    for (ProducedRecord r : records) {
      UserActivityEvent e = r.event();
      boolean open = inSession.getOrDefault(e.userId(), false);
      switch (e.eventType()) {
        case SESSION_START -> {
          if (open) {
            // the previous session was abandoned: the user stayed away longer than the 15-minute timeout
            assertThat(Duration.between(lastEvent.get(e.userId()), e.eventTime())).isGreaterThan(Duration.ofMinutes(15));
            abandoned++;
          }
          inSession.put(e.userId(), true);
        }
        case PAGE_VIEW, CLICK -> {
          assertThat(open).as("%s before any session_start of %s", e.eventType(), e.userId()).isTrue();
          assertThat(e.pageUrl()).startsWith("/");
        }
        case SESSION_END -> {
          assertThat(open).as("session_end without session_start for %s", e.userId()).isTrue();
          inSession.put(e.userId(), false);
          ended++;
        }
      }
      lastEvent.put(e.userId(), e.eventTime());
    }
    assertThat(ended).isGreaterThan(1_000);
    assertThat((double) abandoned / (abandoned + ended)).isBetween(0.15, 0.25);
  }

  @Test
  void pagePopularityIsSkewed() {
    Map<String, Integer> views = new HashMap<>();
    for (ProducedRecord r : take(TrafficProfile.defaults(2, START, 100), 50_000)) {
      if (r.event().eventType() == EventType.PAGE_VIEW) {
        views.merge(r.event().pageUrl(), 1, Integer::sum);
      }
    }
    List<Integer> counts = new ArrayList<>(views.values());
    counts.sort(null);
    assertThat(views).hasSizeGreaterThan(40);
    assertThat(views.get("/")).isGreaterThan(5 * counts.get(counts.size() / 2));
  }

  @Test
  void sessionsBehaveLikeAShopFunnelWithExactPricesFromTheCatalogue() {
    TrafficProfile profile = TrafficProfile.defaults(3, START, 100);
    Catalogue catalogue = new Catalogue(profile.products(), profile.seed());
    Map<String, Catalogue.Product> byId = new HashMap<>();
    for (int i = 0; i < catalogue.size(); i++) {
      byId.put(catalogue.get(i).id(), catalogue.get(i));
    }
    Map<String, Integer> sessionsOf = new HashMap<>();
    java.util.Set<String> viewed = new java.util.HashSet<>();
    java.util.Set<String> carted = new java.util.HashSet<>();
    java.util.Set<String> bought = new java.util.HashSet<>();
    java.util.Set<String> orders = new java.util.HashSet<>();
    Map<String, Integer> devices = new HashMap<>();
    Map<String, Integer> countries = new HashMap<>();
    java.util.Set<String> categories = new java.util.HashSet<>();
    long sessions = 0;
    for (ProducedRecord r : take(profile, 100_000)) {
      UserActivityEvent e = r.event();
      if (e.eventType() == EventType.SESSION_START) {
        sessions++;
        sessionsOf.merge(e.userId(), 1, Integer::sum);
      }
      String session = e.userId() + "#" + sessionsOf.getOrDefault(e.userId(), 0);
      devices.merge(String.valueOf(e.device()), 1, Integer::sum);
      countries.merge(String.valueOf(e.country()), 1, Integer::sum);
      if (e.productId() != null) {
        Catalogue.Product p = byId.get(e.productId());
        assertThat(p).as("product %s is in the catalogue", e.productId()).isNotNull();
        assertThat(e.category()).isEqualTo(p.category());
        categories.add(e.category());
      }
      switch (e.eventType()) {
        case PAGE_VIEW -> {
          if (e.productId() != null) {
            viewed.add(session);
            assertThat(e.pageUrl()).isEqualTo("/product/" + e.productId());
          }
        }
        case ADD_TO_CART -> {
          carted.add(session);
          assertThat(e.price()).isEqualTo(byId.get(e.productId()).price());
          assertThat(e.quantity()).isBetween(1, 3);
          assertThat(e.currency()).isEqualTo(profile.currency());
        }
        case PURCHASE -> {
          bought.add(session);
          assertThat(carted).as("a purchase follows an add_to_cart of its session").contains(session);
          assertThat(orders.add(e.orderId())).as("one order id per purchase").isTrue();
          assertThat(e.price().scale()).isEqualTo(2);
        }
        default -> { }
      }
    }
    assertThat(viewed.size() / (double) sessions).isBetween(0.5, 0.9);
    assertThat(carted.size() / (double) sessions).isBetween(0.05, 0.2);
    assertThat(bought.size() / (double) sessions).as("a few percent of sessions buy").isBetween(0.02, 0.08);
    assertThat(categories).hasSize(Catalogue.CATEGORIES.length);
    assertThat(devices.get("desktop")).isGreaterThan(devices.get("mobile")).isGreaterThan(5 * devices.get("tablet"));
    assertThat(devices).containsKey("null");
    assertThat(countries.get("US")).isGreaterThan(5 * countries.get("IT"));
    assertThat(countries).containsKey("null").hasSize(TrafficGenerator.COUNTRIES.size() + 1);
  }

  @Test
  void catalogueIsSeededWithLogNormalPricesInCents() {
    Catalogue a = new Catalogue(300, 11);
    assertThat(a.get(7)).isEqualTo(new Catalogue(300, 11).get(7));
    List<java.math.BigDecimal> prices = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      prices.add(a.get(i).price());
      assertThat(a.get(i).price().scale()).isEqualTo(2);
    }
    prices.sort(null);
    // median near the log-normal's median, a long right tail
    assertThat(prices.get(150).doubleValue()).isBetween(20.0, 45.0);
    assertThat(prices.get(299).doubleValue()).isGreaterThan(4 * prices.get(150).doubleValue());
  }

  @Test
  void rejectsAnImpossibleProfile() {
    assertThatThrownBy(() -> TrafficProfile.defaults(1, START, 10).withPopulation(0, 5))
        .hasMessage("users must be >= 1");
  }
}
