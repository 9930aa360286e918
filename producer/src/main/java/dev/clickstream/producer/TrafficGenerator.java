package dev.clickstream.producer;

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
 * <p>Event time: a clock starting at {@link TrafficProfile#start()} advances by {@code 1/eventsPerSecond}
 * per record. Every {@code lateEvery}th record carries the clock minus {@code lateBy} (late data); every
 * {@code malformedEvery}th record is malformed instead, rotating through {@link MalformedKind}. The same
 * profile (seed included) always yields the same records.
 */
public final class TrafficGenerator implements Iterator<ProducedRecord> {
  /** How long an abandoning user stays away: longer than the 15-minute session timeout. */
  static final Duration ABANDON_COOLDOWN = Duration.ofMinutes(20);

  private final TrafficProfile profile;
  private final Random random;
  private final String[] pageUrls;
  private final double[] pageCumulativeWeights;
  private final List<Integer> idleUsers = new ArrayList<>();
  private final PriorityQueue<long[]> coolingDown = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
  private final List<OpenSession> openSessions = new ArrayList<>();
  private final int targetOpenSessions;
  private final double stepMs;
  private double clockMs;
  private long sequence;
  private int malformedRotation;

  private static final class OpenSession {
    final int user;
    int remaining;
    String currentPage;

    OpenSession(int user, int remaining, String currentPage) {
      this.user = user;
      this.remaining = remaining;
      this.currentPage = currentPage;
    }
  }

  /** @param profile the traffic shape */
  public TrafficGenerator(TrafficProfile profile) {
    this.profile = profile;
    this.random = new Random(profile.seed());
    this.pageUrls = pageUrls(profile.pages());
    this.pageCumulativeWeights = zipfCumulative(profile.pages(), 1.1);
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
        openSessions.add(new OpenSession(user, 1 + geometric(profile.meanSessionEvents()), landing));
        return event(now, user, null, EventType.SESSION_START);
      }
      int index = random.nextInt(openSessions.size());
      OpenSession session = openSessions.get(index);
      if (session.remaining > 0) {
        session.remaining--;
        if (random.nextDouble() < 0.7) {
          session.currentPage = pickPage();
          return event(now, session.user, session.currentPage, EventType.PAGE_VIEW);
        }
        return event(now, session.user, session.currentPage, EventType.CLICK);
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
      return event(now, session.user, null, EventType.SESSION_END);
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

  private UserActivityEvent event(long now, int user, String page, EventType type) {
    UUID id = new UUID((random.nextLong() & ~0xF000L) | 0x4000L, (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
    return new UserActivityEvent(id.toString(), Instant.ofEpochMilli(now), userId(user), page, type);
  }

  private int geometric(int mean) {
    double p = 1.0 / mean;
    return (int) Math.floor(Math.log(1 - random.nextDouble()) / Math.log(1 - p + 1e-12));
  }

  private String pickPage() {
    double x = random.nextDouble() * pageCumulativeWeights[pageCumulativeWeights.length - 1];
    int lo = 0;
    int hi = pageCumulativeWeights.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (pageCumulativeWeights[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return pageUrls[lo];
  }

  private static String[] pageUrls(int pages) {
    String[] fixed = {"/", "/search", "/cart", "/checkout", "/account"};
    String[] urls = new String[pages];
    for (int i = 0; i < pages; i++) {
      urls[i] = i < fixed.length ? fixed[i] : (i % 3 == 0 ? "/category/" + (i / 3) : "/product/" + (1000 + i));
    }
    return urls;
  }

  private static double[] zipfCumulative(int n, double exponent) {
    double[] cumulative = new double[n];
    double sum = 0;
    for (int rank = 1; rank <= n; rank++) {
      sum += 1.0 / Math.pow(rank, exponent);
      cumulative[rank - 1] = sum;
    }
    return cumulative;
  }
}
