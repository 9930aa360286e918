package dev.clickstream.app.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far a query that reads Kafka is behind: the records in its partitions after the offsets its last
 * micro-batch processed, with the latest offsets asked from the brokers at scrape time.
 *
 * <p>Spark's own {@code avgOffsetsBehindLatest}/{@code maxOffsetsBehindLatest} source metrics compare with the
 * latest offsets seen when a micro-batch was <em>planned</em>; without MAX_OFFSETS_PER_TRIGGER a micro-batch
 * takes everything there is, so they are 0 even while records pile up during a long batch. Asking the brokers
 * when Prometheus scrapes shows that pile. The answer is reused for METRICS_LAG_INTERVAL ({@link
 * #cachedLatestOffsets}): scrapes, however frequent or many (several Prometheus replicas), cost the brokers at most
 * one request per interval.
 */
public class KafkaLag implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaLag.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A scrape waits at most this long for the brokers, ms; then the series is left out of that scrape. */
  static final long TIMEOUT_MS = 3_000;

  private final Map<String, String> kafkaClient;
  private final long refreshNanos;
  private final LongSupplier nanoClock;
  private Admin admin;
  private boolean closed;
  private Map<TopicPartition, Long> cached = Map.of();
  private long cachedAtNanos;
  private boolean askedOnce;

  /**
   * @param kafkaClient Kafka client settings of the brokers the queries read: bootstrap servers and security
   *     ({@code Settings.kafkaClient()})
   * @param refresh METRICS_LAG_INTERVAL: how long {@link #cachedLatestOffsets} reuses an answer
   */
  public KafkaLag(Map<String, String> kafkaClient, java.time.Duration refresh) {
    this(kafkaClient, refresh, System::nanoTime);
  }

  KafkaLag(Map<String, String> kafkaClient, java.time.Duration refresh, LongSupplier nanoClock) {
    this.kafkaClient = Map.copyOf(kafkaClient);
    this.refreshNanos = refresh.toNanos();
    this.nanoClock = nanoClock;
  }

  /**
   * The latest offsets as of at most METRICS_LAG_INTERVAL ago: the brokers are asked (as {@link #latestOffsets})
   * only when the last answer, or the last failure to get one, is older than that or did not cover
   * {@code partitions}.
   *
   * @param partitions partitions to look up
   * @return partition -> latest offset, for each of {@code partitions}; empty when the last request failed
   */
  public synchronized Map<TopicPartition, Long> cachedLatestOffsets(Set<TopicPartition> partitions) {
    long now = nanoClock.getAsLong();
    boolean fresh = askedOnce && now - cachedAtNanos < refreshNanos;
    boolean covers = cached.keySet().containsAll(partitions);
    if (!fresh || (!covers && !cached.isEmpty())) {
      cached = latestOffsets(partitions);
      cachedAtNanos = now;
      askedOnce = true;
    }
    if (!cached.keySet().containsAll(partitions)) {
      return Map.of();
    }
    Map<TopicPartition, Long> answer = new HashMap<>(cached);
    answer.keySet().retainAll(partitions);
    return answer;
  }

  /**
   * @param partitions partitions to look up
   * @return partition -> latest offset (the next offset to be written); empty when the brokers do not answer
   *     within {@link #TIMEOUT_MS}, and after {@link #close}
   */
  public synchronized Map<TopicPartition, Long> latestOffsets(Set<TopicPartition> partitions) {
    if (partitions.isEmpty() || closed) {
      return Map.of();
    }
    try {
      if (admin == null) {
        Map<String, Object> config = new HashMap<>(kafkaClient);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "clickstream-metrics");
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
        admin = Admin.create(config);
      }
      var request = partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
      var answer = admin.listOffsets(request).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      Map<TopicPartition, Long> latest = new HashMap<>();
      answer.forEach((p, info) -> latest.put(p, info.offset()));
      return latest;
    } catch (Exception e) { // timeout, broker down, interrupted: no value for this scrape
      LOG.debug("latest offsets unavailable: {}", e.toString());
      return Map.of();
    }
  }

  /**
   * @param processed partition -> offset after the last processed record (a Kafka source's end offset)
   * @param latest partition -> latest offset
   * @return the records in between, summed over the processed partitions; -1 when a partition's latest offset is
   *     unknown
   */
  static long behind(Map<TopicPartition, Long> processed, Map<TopicPartition, Long> latest) {
    long sum = 0;
    for (var e : processed.entrySet()) {
      Long end = latest.get(e.getKey());
      if (end == null) {
        return -1;
      }
      sum += Math.max(0, end - e.getValue());
    }
    return sum;
  }

  /**
   * @param json a Kafka source offset as Spark writes it, {@code {"user_activity":{"0":120,"1":98}}}
   * @return partition -> offset; empty for text that is not such an object
   */
  public static Map<TopicPartition, Long> parseOffsets(String json) {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    if (json == null) {
      return offsets;
    }
    try {
      JsonNode root = JSON.readTree(json);
      for (Iterator<Map.Entry<String, JsonNode>> topics = root.fields(); topics.hasNext(); ) {
        var topic = topics.next();
        for (Iterator<Map.Entry<String, JsonNode>> parts = topic.getValue().fields(); parts.hasNext(); ) {
          var part = parts.next();
          if (part.getValue().canConvertToLong()) {
            offsets.put(new TopicPartition(topic.getKey(), Integer.parseInt(part.getKey())), part.getValue().asLong());
          }
        }
      }
    } catch (Exception e) { // not JSON, or not the shape of a Kafka offset
      return Map.of();
    }
    return offsets;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (admin != null) {
      admin.close(java.time.Duration.ofSeconds(5));
      admin = null;
    }
  }
}
