package dev.clickstream.producer;

import dev.clickstream.contract.KafkaSecurity;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends records to a Kafka topic, key = user id, with {@code acks=all},
 * idempotence on (no duplicates from retries, Kafka producer docs), lz4, {@code linger.ms=5}, 256 KiB batches.
 */
public final class KafkaSink implements EventSink {
  private final KafkaProducer<String, String> producer;
  private final String topic;
  private final AtomicLong errors = new AtomicLong();
  private volatile String firstError;
  private volatile Exception fatal;

  private KafkaSink(KafkaProducer<String, String> producer, String topic) {
    this.producer = producer;
    this.topic = topic;
  }

  /**
   * Connects, checks that the credentials are accepted and the topic exists, and returns a ready sink.
   *
   * @param bootstrapServers {@code host:port[,host:port]}
   * @param security how the client authenticates (PLAINTEXT, or SASL over TLS with a JAAS line)
   * @param topic destination topic; must exist (topics are created by the platform, not auto-created)
   * @param connectTimeout how long to wait for the cluster to answer
   * @return the sink
   * @throws ProducerException when the brokers do not answer within {@code connectTimeout}, refuse the credentials
   *     (naming the servers and the mechanism), or the topic is missing or not visible to this user
   */
  public static KafkaSink connect(String bootstrapServers, KafkaSecurity security, String topic,
      Duration connectTimeout) {
    Map<String, Object> client = new HashMap<>(security.clientProperties());
    client.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    checkCluster(client, security, topic, connectTimeout);
    Properties props = new Properties();
    props.putAll(client);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, connectTimeout.toMillis());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "clickstream-producer");
    return new KafkaSink(new KafkaProducer<>(props, new StringSerializer(), new StringSerializer()), topic);
  }

  /** {@link #connect(String, KafkaSecurity, String, Duration)} over PLAINTEXT. */
  public static KafkaSink connect(String bootstrapServers, String topic, Duration connectTimeout) {
    return connect(bootstrapServers, KafkaSecurity.PLAINTEXT, topic, connectTimeout);
  }

  private static void checkCluster(Map<String, Object> client, KafkaSecurity security, String topic,
      Duration timeout) {
    int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    Object servers = client.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
    Map<String, Object> config = new HashMap<>(client);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
    try (Admin admin = Admin.create(config)) {
      try {
        admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw refusedOrUnreachable(e.getCause(), servers, security, timeout);
      } catch (TimeoutException e) {
        throw refusedOrUnreachable(e, servers, security, timeout);
      }
      try {
        if (!admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).contains(topic)) {
          throw new ProducerException("topic " + topic + " does not exist at " + servers
              + (security.sasl()
                  ? " or this user may not write it (ACLs)" : "; create it first"));
        }
      } catch (ExecutionException | TimeoutException e) {
        throw new ProducerException("cannot list topics at " + servers + ": " + e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProducerException("interrupted while connecting to " + servers);
    }
  }

  private static ProducerException refusedOrUnreachable(Throwable cause, Object servers, KafkaSecurity security,
      Duration timeout) {
    if (cause instanceof AuthenticationException) {
      return new ProducerException("Kafka at " + servers + " (" + security.describe() + ") refused this client: "
          + (cause.getMessage() == null ? cause : cause.getMessage().lines().findFirst().orElse(""))
          + " (check KAFKA_SASL_JAAS_CONFIG, KAFKA_SASL_MECHANISM and KAFKA_SSL_TRUSTSTORE_CERTIFICATES)");
    }
    return new ProducerException("Kafka unreachable at " + servers + " (" + security.describe() + ") after "
        + timeout.toSeconds() + " s");
  }

  /**
   * Sends one record asynchronously. Delivery failures are counted ({@link #errors}); a failure that retrying
   * cannot fix (not a Kafka {@code RetriableException}: a record too large, no authorization, an invalid topic)
   * stops the producer at the next send, since every later record would fail the same way.
   *
   * @throws ProducerException naming the first non-retriable delivery failure, once one has happened
   */
  @Override
  public void send(ProducedRecord record) {
    if (fatal != null) {
      throw new ProducerException("Kafka refused a record of topic " + topic + " and retrying cannot help: " + fatal);
    }
    producer.send(new ProducerRecord<>(topic, record.key(), record.value()), (metadata, exception) -> {
      if (exception != null) {
        errors.incrementAndGet();
        if (firstError == null) {
          firstError = exception.toString();
        }
        if (fatal == null && !(exception instanceof RetriableException)) {
          fatal = exception;
        }
      }
    });
  }

  @Override
  public long errors() {
    return errors.get();
  }

  /** @return the first delivery error seen, or null */
  public String firstError() {
    return firstError;
  }

  @Override
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(30));
  }
}
