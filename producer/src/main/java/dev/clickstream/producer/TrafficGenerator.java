package dev.clickstream.producer;

import dev.clickstream.contract.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.UUID;

/**
 * Synthetic web-shop traffic: an endless, reproducible sequence of {@code user_activity} records.
 *
 * <p>Model: a population of users, of whom about a quarter are in a session at any moment. A session opens
 * with {@code session_start}, holds on average {@link TrafficProfile#meanSessionEvents()} page views (70%)
 * and clicks on the current page (30%), and closes with {@code session_end}, except for an
 * {@link TrafficProfile#abandonShare()} of sessions that just stop: that user then stays away for 20
 * minutes of event time, longer than the 15-minute session timeout, so the session times out downstream
 * (at most half the population is away at once; beyond that, sessions end normally).
 * Each record picks a random open session, so the gap between a user's events (the think time) is about
 * {@code openSessions / eventsPerSecond} seconds. Pages have Zipf-like popularity (weight 1/rank^1.1).
 *
 * <p>The shop: {@link #PRODUCT_PAGE_SHARE} of page views are product pages of the {@link Catalogue} (page_url
 * {@code /product/<id>}, with product_id and category; clicks on such a page carry them too). While a product page
 * is open, each further event of the session is an add_to_cart of that product (1-3 units) with probability
 * {@link #CART_SHARE}; while the cart holds something, a purchase of its oldest item (one order_id per purchase)
 * with probability {@link #PURCHASE_SHARE}. That makes a funnel like a shop's: about 80% of sessions view a
 * product, 12% put something in the cart, 5% buy (seed 3, 100k records). Every event of a session carries the
 * session's device (desktop 55%, mobile 38%, tablet 6%, none 1%) and country (11 countries, US 30% down to 3%,
 * none 2%); prices are in the run's currency ({@link TrafficProfile#currency()}).
 *
 * <p>Event time: a clock starting at {@link TrafficProfile#start()} advances by {@code 1/eventsPerSecond}
 * per record. Every {@code lateEvery}th record carries the clock minus {@code lateBy} (late data); every
 * {@code malformedEvery}th record is malformed instead, rotating through {@link MalformedKind}. The same
 * profile (seed included) always yields the same records.
 */
public final class TrafficGenerator implements Iterator<ProducedRecord> {
  /** How long an abandoning user stays away: longer than the 15-minute session timeout. */
  static final Duration ABANDON_COOLDOWN = Duration.ofMinutes(20);
  /** Share of page views that show a product. */
  static final double PRODUCT_PAGE_SHARE = 0.45;
  /** Probability that an event on a product page is an add_to_cart. */
  static final double CART_SHARE = 0.05;
  /** Probability that an event of a session with a filled cart is a purchase. */
  static final double PURCHASE_SHARE = 0.12;
  /** Cumulative shares of the contract's devices ({@link dev.clickstream.contract.EventContract#DEVICES}); the rest (1%) has none. */
  private static final double[] DEVICE_SHARES = {0.55, 0.93, 0.99};
  /** Countries and their cumulative shares; the rest (2%) has none. */
  static final List<String> COUNTRIES = List.of("US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "NL", "ES", "IT");
  private static final double[] COUNTRY_SHARES = {0.30, 0.45, 0.57, 0.66, 0.74, 0.80, 0.85, 0.90, 0.93, 0.955, 0.98};

  private final TrafficProfile profile;
  private final Random random;
  private final String[] pageUrls;
  private final Catalogue catalogue;
  private final double[] pageCumulativeWeights;
  private final List<Integer> idleUsers = new ArrayList<>();
  private final PriorityQueue<long[]> coolingDown = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
  private final List<OpenSession> openSessions = new ArrayList<>();
  private final int targetOpenSessions;
  private final double stepMs;
  private double clockMs;
  private long sequence;
  private int malformedRotation;

  /** A product in a session's cart, with its units. */
  private record CartItem(Catalogue.Product product, int units) {}

  private static final class OpenSession {
    final int user;
    final String device;
    final String country;
    int remaining;
    String currentPage;
    /** The product whose page is open, or null. */
    Catalogue.Product product;
    /** What was added to the cart and not bought yet, oldest first. */
    final java.util.ArrayDeque<CartItem> cart = new java.util.ArrayDeque<>();

    OpenSession(int user, int remaining, String currentPage, String device, String country) {
      this.user = user;
      this.remaining = remaining;
      this.currentPage = currentPage;
      this.device = device;
      this.country = country;
    }
  }

  /** @param profile the traffic shape */
  public TrafficGenerator(TrafficProfile profile) {
    this.profile = profile;
    this.random = new Random(profile.seed());
    this.pageUrls = pageUrls(profile.pages());
    this.pageCumulativeWeights = Catalogue.zipfCumulative(profile.pages());
    this.catalogue = new Catalogue(profile.products(), profile.seed());
    for (int u = 0; u < profile.users(); u++) {
      idleUsers.add(u);
    }
    this.targetOpenSessions = Math.max(1, profile.users() / 4);
    this.stepMs = 1000.0 / profile.eventsPerSecond();
    this.clockMs = profile.start().toEpochMilli();
  }

  /** @return the user id of population member {@code index}, e.g. {@code user-0042} */
  public static String userId(int index) {
    return String.format("user-%04d", index);
  }

  /** Always true: the sequence is endless; bound it with a count or a duration. */
  @Override
  public boolean hasNext() {
    return true;
  }

  /** @return the next record, in generation order */
  @Override
  public ProducedRecord next() {
    clockMs += stepMs;
    sequence++;
    long now = (long) clockMs;
    releaseCooledDownUsers(now);
    UserActivityEvent event = nextEvent(now);
    if (profile.malformedEvery() > 0 && sequence % profile.malformedEvery() == 0) {
      MalformedKind damage = MalformedKind.values()[malformedRotation++ % MalformedKind.values().length];
      return new ProducedRecord(event.userId(), damage.render(event), ProducedRecord.Kind.MALFORMED, event, damage);
    }
    if (profile.lateEvery() > 0 && sequence % profile.lateEvery() == 0) {
      UserActivityEvent late = event.withEventTime(event.eventTime().minus(profile.lateBy()));
      return new ProducedRecord(late.userId(), EventCodec.toJson(late), ProducedRecord.Kind.LATE, late, null);
    }
    return new ProducedRecord(event.userId(), EventCodec.toJson(event), ProducedRecord.Kind.ON_TIME, event, null);
  }

  /** @return the generator's event-time clock: the (on-time) event time of the last record */
  public Instant clock() {
    return Instant.ofEpochMilli((long) clockMs);
  }

  private UserActivityEvent nextEvent(long now) {
    while (true) {
      boolean wantsNewSession = openSessions.size() < targetOpenSessions && random.nextDouble() < 0.3;
      if (openSessions.isEmpty() || (wantsNewSession && !idleUsers.isEmpty())) {
        int user = takeIdleUser();
        String landing = pickPage();
        OpenSession opened = new OpenSession(user, 1 + geometric(profile.meanSessionEvents()), landing,
            pickShare(dev.clickstream.contract.EventContract.DEVICES, DEVICE_SHARES), pickShare(COUNTRIES, COUNTRY_SHARES));
        openSessions.add(opened);
        return event(now, opened, null, EventType.SESSION_START, null, null, null);
      }
      int index = random.nextInt(openSessions.size());
      OpenSession session = openSessions.get(index);
      if (session.remaining > 0) {
        session.remaining--;
        double r = random.nextDouble();
        if (!session.cart.isEmpty() && r < PURCHASE_SHARE) {
          CartItem bought = session.cart.poll();
          return event(now, session, "/checkout", EventType.PURCHASE, bought.product(), bought.units(), orderId());
        }
        if (session.product != null && r > 1 - CART_SHARE) {
          CartItem added = new CartItem(session.product, 1 + random.nextInt(3));
          session.cart.add(added);
          return event(now, session, session.currentPage, EventType.ADD_TO_CART, added.product(), added.units(), null);
        }
        if (random.nextDouble() < 0.7) {
          if (random.nextDouble() < PRODUCT_PAGE_SHARE) {
            session.product = catalogue.pick(random);
            session.currentPage = session.product.pageUrl();
          } else {
            session.product = null;
            session.currentPage = pickPage();
          }
          return event(now, session, session.currentPage, EventType.PAGE_VIEW, session.product, null, null);
        }
        return event(now, session, session.currentPage, EventType.CLICK, session.product, null, null);
      }
      openSessions.set(index, openSessions.get(openSessions.size() - 1));
      openSessions.remove(openSessions.size() - 1);
      // At most half the population may be away at once, so an abandoned user never has to come back
      // before the timeout; at high rates per user the effective abandon share is therefore lower.
      if (random.nextDouble() < profile.abandonShare() && coolingDown.size() < profile.users() / 2) {
        coolingDown.add(new long[] {now + ABANDON_COOLDOWN.toMillis(), session.user});
        continue; // no session_end: this session must time out downstream
      }
      idleUsers.add(session.user);
      return event(now, session, null, EventType.SESSION_END, null, null, null);
    }
  }

  private int takeIdleUser() {
    if (idleUsers.isEmpty()) {
      // cannot happen: at most half the users are away, and this is called with no open session or an idle user
      throw new IllegalStateException("no idle user");
    }
    int i = random.nextInt(idleUsers.size());
    int user = idleUsers.get(i);
    idleUsers.set(i, idleUsers.get(idleUsers.size() - 1));
    idleUsers.remove(idleUsers.size() - 1);
    return user;
  }

  private void releaseCooledDownUsers(long now) {
    while (!coolingDown.isEmpty() && coolingDown.peek()[0] <= now) {
      idleUsers.add((int) coolingDown.poll()[1]);
    }
  }

  private UserActivityEvent event(long now, OpenSession session, String page, EventType type, Catalogue.Product product,
      Integer quantity, String orderId) {
    UUID id = new UUID((random.nextLong() & ~0xF000L) | 0x4000L, (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
    boolean priced = type.requiresProduct();
    return new UserActivityEvent(id.toString(), Instant.ofEpochMilli(now), userId(session.user), page, type,
        product == null ? null : product.id(), product == null ? null : product.category(),
        priced ? product.price() : null, quantity, priced ? profile.currency() : null, orderId, session.device, session.country);
  }

  private String orderId() {
    return String.format("o-%012x", random.nextLong() & 0xFFFFFFFFFFFFL);
  }

  private String pickShare(List<String> values, double[] cumulativeShares) {
    double x = random.nextDouble();
    for (int i = 0; i < values.size(); i++) {
      if (x < cumulativeShares[i]) {
        return values.get(i);
      }
    }
    return null;
  }

  private int geometric(int mean) {
    double p = 1.0 / mean;
    return (int) Math.floor(Math.log(1 - random.nextDouble()) / Math.log(1 - p + 1e-12));
  }

  private String pickPage() {
    return pageUrls[Catalogue.pickIndex(pageCumulativeWeights, random)];
  }

  private static String[] pageUrls(int pages) {
    String[] fixed = {"/", "/search", "/cart", "/checkout", "/account"};
    String[] urls = new String[pages];
    for (int i = 0; i < pages; i++) {
      urls[i] = i < fixed.length ? fixed[i] : (i % 3 == 0 ? "/category/" + (i / 3) : "/product/" + (1000 + i));
    }
    return urls;
  }
}
