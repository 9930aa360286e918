package dev.clickstream.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one Kafka broker per test class ({@link Fixtures#kafka()}: in-process KRaft, or the
 * {@code apache/kafka} image when {@code clickstream.fixtures} says so), on free ports, deleted afterwards.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * ... KAFKA.createTopic("user_activity", 4); KAFKA.bootstrapServers() ...
 * }</pre>
 * Register it as a static field: it starts before the first test and stops after the last.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {
  private KafkaFixture broker;

  @Override
  public void beforeAll(ExtensionContext context) {
    broker = Fixtures.kafka();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  /**
   * @return the running broker
   * @throws IllegalStateException outside the test class's lifetime
   */
  public KafkaFixture broker() {
    if (broker == null) {
      throw new IllegalStateException("KafkaBrokerExtension is not started: register it as a static @RegisterExtension field");
    }
    return broker;
  }

  /** @return {@code host:port} for {@code bootstrap.servers} */
  public String bootstrapServers() {
    return broker().bootstrapServers();
  }

  /**
   * Creates a topic unless it exists.
   *
   * @param name topic name
   * @param partitions partition count, at least 1
   */
  public void createTopic(String name, int partitions) {
    broker().createTopic(name, partitions);
  }

  /**
   * Creates a topic with topic configs unless it exists.
   *
   * @param name topic name
   * @param partitions partition count, at least 1
   * @param configs topic configs, e.g. {@code max.message.bytes}
   */
  public void createTopic(String name, int partitions, java.util.Map<String, String> configs) {
    broker().createTopic(name, partitions, configs);
  }
}
