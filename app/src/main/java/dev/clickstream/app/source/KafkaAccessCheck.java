package dev.clickstream.app.source;

import dev.clickstream.contract.StartupFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the brokers once, before any query starts, whether this client may use its topics: the TLS handshake and
 * SASL authentication (wrong password, wrong CA), then Describe on each topic (the ACLs). Spark's Kafka source
 * would find out too, but only after its offset fetches were retried ({@code fetchOffset.numRetries}), with a
 * stack trace per query; this says it in one line naming the bootstrap servers and the mechanism.
 *
 * <p>A topic that does not exist is not an error here (Spark's source waits for it, the sinks fail on it).
 */
public final class KafkaAccessCheck {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaAccessCheck.class);
  /** How long the brokers may take to answer: Kafka's default {@code default.api.timeout.ms}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private KafkaAccessCheck() {}


  /**
   * Connects with the pipeline's Kafka client settings and describes the topics.
   *
   * @param kafkaClient Kafka client settings: {@code bootstrap.servers} and security ({@code Settings.kafkaClient()})
   * @param security how the client authenticates, for the message, e.g. {@code SASL_SSL, SCRAM-SHA-512}
   * @param topics the topics the pipeline reads or writes
   * @param timeout how long to wait for the brokers
   * @return topic -> its description (topic id: a topic deleted and re-created has a new one; partitions), for the
   *     topics that exist
   * @throws StartupFailure with exit status 2 when authentication fails (wrong password or mechanism,
   *     a TLS handshake against an untrusted certificate) or a topic may not be described (ACLs); with exit
   *     status 1 when the brokers do not answer within {@code timeout}
   */
  public static Map<String, TopicDescription> check(Map<String, String> kafkaClient, String security, Collection<String> topics,
      Duration timeout) {
    String servers = kafkaClient.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
    String at = "kafka at " + servers + " (" + security + ")";
    Map<String, Object> config = adminConfig(kafkaClient, timeout);
    try (Admin admin = Admin.create(config)) {
      try {
        admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw failure(at, e.getCause(), timeout);
      } catch (TimeoutException e) {
        throw failure(at, e, timeout);
      }
      List<String> denied = new ArrayList<>();
      Map<String, TopicDescription> ids = new HashMap<>();
      for (var topic : admin.describeTopics(topics).topicNameValues().entrySet()) {
        try {
          ids.put(topic.getKey(), topic.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
          if (e.getCause() instanceof AuthorizationException) {
            denied.add(topic.getKey());
          } else if (e.getCause() instanceof UnknownTopicOrPartitionException) {
            LOG.warn("topic {} does not exist at {} yet", topic.getKey(), servers);
          } else {
            throw failure(at, e.getCause(), timeout);
          }
        } catch (TimeoutException e) {
          throw failure(at, e, timeout);
        }
      }
      if (!denied.isEmpty()) {
        java.util.Collections.sort(denied);
        throw StartupFailure.badSetting(at + " does not let this user describe topic(s) " + String.join(", ", denied)
            + ": its ACLs must allow Read on the input topic and Write on the enriched and dead-letter topics");
      }
      return ids;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw StartupFailure.unavailable("interrupted while connecting to " + at);
    }
  }

  /**
   * @param kafkaClient Kafka client settings ({@code Settings.kafkaClient()})
   * @param topic a topic
   * @param timeout how long to wait for the brokers
   * @return the topic's {@code message.timestamp.type} ({@code CreateTime} or {@code LogAppendTime}); empty when the
   *     brokers do not say (the topic does not exist, the user may not DescribeConfigs, no answer in time). Never
   *     throws: this only decides a log line.
   */
  public static java.util.Optional<String> timestampType(Map<String, String> kafkaClient, String topic, Duration timeout) {
    Map<String, Object> config = adminConfig(kafkaClient, timeout);
    var resource = new org.apache.kafka.common.config.ConfigResource(
        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
    try (Admin admin = Admin.create(config)) {
      var entry = admin.describeConfigs(List.of(resource)).values().get(resource)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(InputTopic.TIMESTAMP_TYPE);
      return java.util.Optional.ofNullable(entry == null ? null : entry.value());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      LOG.debug("cannot describe the configs of topic {}: {}", topic, e.toString());
      return java.util.Optional.empty();
    }
  }

  /** @return the admin client's settings: the pipeline's client settings, this check's client id and timeouts */
  private static Map<String, Object> adminConfig(Map<String, String> kafkaClient, Duration timeout) {
    Map<String, Object> config = new HashMap<>(kafkaClient);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "clickstream-access-check");
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
    return config;
  }

  private static StartupFailure failure(String at, Throwable cause, Duration timeout) {
    if (cause instanceof AuthenticationException) {
      return StartupFailure.badSetting(at + " refused this client: " + firstLine(cause)
          + " (check KAFKA_SASL_JAAS_CONFIG, KAFKA_SASL_MECHANISM and KAFKA_SSL_TRUSTSTORE_CERTIFICATES)");
    }
    if (cause instanceof AuthorizationException) {
      return StartupFailure.badSetting(at + " refused this user: " + firstLine(cause));
    }
    if (cause instanceof TimeoutException || cause instanceof org.apache.kafka.common.errors.TimeoutException) {
      return StartupFailure.unavailable(at + " did not answer within " + timeout.toSeconds() + " s");
    }
    return StartupFailure.unavailable(at + ": " + cause.getClass().getSimpleName() + ": " + firstLine(cause));
  }

  private static String firstLine(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().lines().findFirst().orElse("");
  }
}
