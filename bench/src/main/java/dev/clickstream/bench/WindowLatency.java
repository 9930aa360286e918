package dev.clickstream.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Latency from a page view's Kafka timestamp to the first Postgres version of its window row that counts it
 * (plain Java, no Spark). The k-th page view of a (window_start, page_url) key, in Kafka timestamp order, is
 * counted by the first row version whose {@code view_count >= k}: the upserts write absolute counts (architecture
 * §4), so a row's count only grows, and its {@code updated_at} is when the count became visible.
 *
 * <p>Only events that the query really counts may be given (no late events beyond the watermark): a dropped
 * event would shift every later one of its key by one. Events of different Kafka partitions that were sent
 * within a few ms of each other can swap places; that moves a latency by those ms.
 */
public final class WindowLatency {
  /** Length of the tumbling window, in ms (PageViewCounts: 1 minute). */
  private final long windowMs;
  private final Map<String, List<Long>> eventTimestamps = new HashMap<>();
  private final Map<String, TreeMap<Long, Long>> versions = new HashMap<>();

  /** @param windowMs tumbling window length in ms, &gt; 0 */
  public WindowLatency(long windowMs) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("window must be > 0 ms");
    }
    this.windowMs = windowMs;
  }

  /**
   * Records a counted page view.
   *
   * @param kafkaTimestampMs the source record's Kafka timestamp (epoch ms)
   * @param eventTimeMs the event time (epoch ms), which selects the window
   * @param pageUrl the page
   */
  public void event(long kafkaTimestampMs, long eventTimeMs, String pageUrl) {
    eventTimestamps.computeIfAbsent(key(Math.floorDiv(eventTimeMs, windowMs) * windowMs, pageUrl), k -> new ArrayList<>())
        .add(kafkaTimestampMs);
  }

  /**
   * Records a version of a row seen in Postgres; seeing the same count again keeps the earliest time.
   *
   * @param windowStartMs window_start (epoch ms)
   * @param pageUrl page_url
   * @param viewCount view_count
   * @param updatedAtMs updated_at (epoch ms)
   */
  public void rowVersion(long windowStartMs, String pageUrl, long viewCount, long updatedAtMs) {
    versions.computeIfAbsent(key(windowStartMs, pageUrl), k -> new TreeMap<>()).merge(viewCount, updatedAtMs, Math::min);
  }

  /**
   * @param fromMs only events with a Kafka timestamp at or after this (epoch ms) are measured (warm-up excluded)
   * @return latencies in ms of the measured events that a row version counts, and how many no version counted
   */
  public Result latencies(long fromMs) {
    List<Long> out = new ArrayList<>();
    long uncounted = 0;
    for (Map.Entry<String, List<Long>> e : eventTimestamps.entrySet()) {
      List<Long> timestamps = e.getValue();
      timestamps.sort(Comparator.naturalOrder());
      TreeMap<Long, Long> rows = versions.getOrDefault(e.getKey(), new TreeMap<>());
      for (int k = 1; k <= timestamps.size(); k++) {
        long ts = timestamps.get(k - 1);
        if (ts < fromMs) {
          continue;
        }
        Map.Entry<Long, Long> version = rows.ceilingEntry((long) k);
        if (version == null) {
          uncounted++;
        } else {
          out.add(version.getValue() - ts);
        }
      }
    }
    return new Result(out.stream().mapToLong(Long::longValue).toArray(), uncounted);
  }

  private static String key(long windowStartMs, String pageUrl) {
    return windowStartMs + "|" + pageUrl;
  }

  /**
   * @param latenciesMs one latency per counted event, ms
   * @param uncounted measured events no row version counted (the run stopped first, or the event was dropped)
   */
  public record Result(long[] latenciesMs, long uncounted) {}
}
