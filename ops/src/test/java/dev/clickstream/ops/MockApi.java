package dev.clickstream.ops;

import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.List;

/** fabric8's mock API server in CRUD mode, serving the custom resources of Strimzi 1.2 and the Spark operator. */
final class MockApi {
  private MockApi() {}

  /** @return a started server; the caller destroys it */
  static KubernetesMockServer start() {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    for (String[] crd : List.of(new String[] {"kafka.strimzi.io", "v1", "kafkas", "Kafka"},
        new String[] {"kafka.strimzi.io", "v1", "kafkanodepools", "KafkaNodePool"},
        new String[] {"kafka.strimzi.io", "v1", "kafkatopics", "KafkaTopic"},
        new String[] {"kafka.strimzi.io", "v1", "kafkausers", "KafkaUser"},
        new String[] {"sparkoperator.k8s.io", "v1beta2", "sparkapplications", "SparkApplication"})) {
      server.expectCustomResource(new CustomResourceDefinitionContext.Builder().withGroup(crd[0]).withVersion(crd[1])
          .withPlural(crd[2]).withKind(crd[3]).withScope("Namespaced").build());
    }
    return server;
  }
}
