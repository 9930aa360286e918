package dev.clickstream.testkit;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A Kafka cluster for tests, whatever runs it: the in-process KRaft broker ({@link KafkaBroker}) or the
 * {@code apache/kafka} image under Testcontainers ({@link KafkaContainerFixture}); {@link Fixtures#kafka()}
 * chooses. One broker, PLAINTEXT, topics never auto-created.
 */
public interface KafkaFixture extends AutoCloseable {
  /** @return {@code host:port}, the value for {@code bootstrap.servers} */
  String bootstrapServers();

  /** Stops the broker, keeping its log: an outage; clients see their connections refused. */
  void stop();

  /**
   * Starts the broker again after {@link #stop()} on the same address, with its topics, records and offsets.
   *
   * @throws IllegalStateException when it is not ready within 60 s
   */
  void restart();

  /** Stops the broker for good and deletes what it stored. */
  @Override
  void close();

  /** @return what runs the broker and where, for the test log, e.g. {@code in-process KRaft broker 3.9.2 at ...} */
  String describe();

  /**
   * An admin client for this broker (30 s API timeout); the caller closes it.
   *
   * @return a new {@link Admin}
   */
  default Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
  }

  /**
   * Creates a topic with replication factor 1, doing nothing when it already exists.
   *
   * @param name topic name
   * @param partitions number of partitions, at least 1
   * @throws IllegalStateException when the broker refuses the topic
   */
  default void createTopic(String name, int partitions) {
    createTopics(Set.of(name), partitions);
  }

  /**
   * Creates topics with replication factor 1; existing ones are left as they are.
   *
   * @param names topic names
   * @param partitions number of partitions of each, at least 1
   * @throws IllegalStateException when the broker refuses a topic or does not answer within 30 s
   */
  default void createTopics(Collection<String> names, int partitions) {
    createTopics(names, partitions, java.util.Map.of());
  }

  /**
   * Creates a topic with replication factor 1 and topic configs, doing nothing when it already exists.
   *
   * @param name topic name
   * @param partitions number of partitions, at least 1
   * @param configs topic configs, e.g. {@code max.message.bytes}
   * @throws IllegalStateException when the broker refuses the topic
   */
  default void createTopic(String name, int partitions, java.util.Map<String, String> configs) {
    createTopics(Set.of(name), partitions, configs);
  }

  /**
   * Creates topics with replication factor 1 and the same configs; existing ones are left as they are.
   *
   * @param names topic names
   * @param partitions number of partitions of each, at least 1
   * @param configs topic configs
   * @throws IllegalStateException when the broker refuses a topic or does not answer within 30 s
   */
  default void createTopics(Collection<String> names, int partitions, java.util.Map<String, String> configs) {
    try (Admin admin = admin()) {
      for (String name : names) {
        try {
          admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
              .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics " + names, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("topic creation timed out: " + names, e);
    }
  }
}
