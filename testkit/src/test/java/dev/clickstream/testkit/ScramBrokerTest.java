package dev.clickstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The test broker's SASL_SSL listener: SCRAM-SHA-512 over TLS with ACLs, as Strimzi configures the chart's. */
class ScramBrokerTest {
  private static KafkaBroker broker;

  @BeforeAll
  static void start() {
    broker = KafkaBroker.startTemporaryWithScram();
    broker.createTopics(List.of("open", "closed"), 1);
    broker.addScramUser("alice", "alice-secret");
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static Admin client(String user, String password) {
    Map<String, Object> config = broker.scramClient(user, password);
    config.putAll(Map.of("default.api.timeout.ms", 20_000, "request.timeout.ms", 10_000));
    return Admin.create(config);
  }

  @Test
  void aWrongPasswordIsRefusedAndOnlyTopicsWithAnAclAreVisible() throws Exception {
    assertThat(broker.caCertificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
    try (Admin wrong = client("alice", "not-her-password")) {
      assertThatThrownBy(() -> wrong.describeCluster().nodes().get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
    }
    try (Admin admin = broker.admin()) {
      admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "open", PatternType.LITERAL),
          new AccessControlEntry("User:alice", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW))))
          .all().get(20, TimeUnit.SECONDS);
    }
    try (Admin alice = client("alice", "alice-secret")) {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(alice.describeTopics(List.of("open")).allTopicNames().get(10, TimeUnit.SECONDS)).containsKey("open"));
      assertThatThrownBy(() -> alice.describeTopics(List.of("closed")).allTopicNames().get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TopicAuthorizationException.class);
      assertThat(alice.listTopics().names().get(10, TimeUnit.SECONDS)).containsExactly("open");
    }
  }
}
