package dev.clickstream.ops;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code verify} and {@code drill} need to know of an installed release, read from its SparkApplication's
 * {@code spec.driver.envVars} (the settings the chart passes to the driver) instead of assuming the chart's
 * defaults: a release installed with other topic names, database or mount path is checked as it is.
 *
 * @param database the Postgres database, from JDBC_URL ({@code jdbc:postgresql://host:port/<database>[?...]})
 * @param lakeLog the lake table's log in the driver pod: LAKE_PATH + {@code /events/_delta_log}
 * @param topicResources the KafkaTopic resource names of INPUT_TOPIC, ENRICHED_TOPIC and DLQ_TOPIC, by the chart's
 *     rule ({@code templates/kafka-topics.yaml}: {@code _} and {@code .} become {@code -}, lower case)
 * @param kafkaUser the KafkaUser the driver signs in as: the Secret named by
 *     {@code spec.driver.envSecretKeyRefs.KAFKA_SASL_JAAS_CONFIG} (Strimzi names a user's Secret after it); empty
 *     when the release runs Kafka without authentication
 */
public record ReleaseSettings(String database, String lakeLog, List<String> topicResources, Optional<String> kafkaUser) {
  /**
   * @param client a connected client
   * @param namespace the release's namespace
   * @param application the SparkApplication's name ({@code <release>-pipeline})
   * @return the settings
   * @throws CheckFailed when the application does not exist or lacks one of the settings
   */
  public static ReleaseSettings read(KubernetesClient client, String namespace, String application) {
    GenericKubernetesResource app = ClusterChecks.sparkApplication(client, namespace, application);
    Map<?, ?> driver = app.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
        && spec.get("driver") instanceof Map<?, ?> d ? d : Map.of();
    return of(driver.get("envVars") instanceof Map<?, ?> env ? env : Map.of(),
        driver.get("envSecretKeyRefs") instanceof Map<?, ?> refs ? refs : Map.of(), application);
  }

  static ReleaseSettings of(Map<?, ?> env, Map<?, ?> secretRefs, String application) {
    String jdbcUrl = required(env, "JDBC_URL", application);
    String path = jdbcUrl.replaceFirst("^jdbc:postgresql://[^/]*/", "").replaceFirst("[?].*$", "");
    if (path.isEmpty() || path.equals(jdbcUrl)) {
      throw new CheckFailed("JDBC_URL of " + application + " names no database: " + jdbcUrl);
    }
    return new ReleaseSettings(path, required(env, "LAKE_PATH", application).replaceAll("/+$", "") + "/events/_delta_log",
        List.of(topicResource(required(env, "INPUT_TOPIC", application)), topicResource(required(env, "ENRICHED_TOPIC", application)),
            topicResource(required(env, "DLQ_TOPIC", application))),
        secretRefs.get("KAFKA_SASL_JAAS_CONFIG") instanceof Map<?, ?> ref && ref.get("name") != null
            ? Optional.of(ref.get("name").toString()) : Optional.empty());
  }

  static String topicResource(String topic) {
    return topic.replace('_', '-').replace('.', '-').toLowerCase(Locale.ROOT);
  }

  private static String required(Map<?, ?> env, String name, String application) {
    Object value = env.get(name);
    if (value == null || value.toString().isBlank()) {
      throw new CheckFailed("SparkApplication " + application + " has no " + name + " in spec.driver.envVars");
    }
    return value.toString();
  }
}
