package dev.clickstream.deploy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Just enough of a Kubernetes API server (discovery and GET of Secrets) for Helm's {@code lookup}: helm-java's
 * template asks the cluster named by KUBECONFIG (src/test/resources/kubeconfig-fake-api.yaml, port 18080).
 * A test stores a Secret to play an upgrade of an existing release.
 */
final class FakeKubeApi implements AutoCloseable {
  static final int PORT = 18080;
  private final HttpServer server;
  private final Map<String, String> secrets = new ConcurrentHashMap<>();

  FakeKubeApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", PORT), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** @param secretJson a v1 Secret as JSON, served at its namespace and name */
  void putSecret(String namespace, String name, String secretJson) {
    secrets.put("/api/v1/namespaces/" + namespace + "/secrets/" + name, secretJson);
  }

  void clear() {
    secrets.clear();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String body;
    int status = 200;
    switch (path) {
      case "/version" -> body = "{\"major\":\"1\",\"minor\":\"31\",\"gitVersion\":\"v1.31.0\"}";
      case "/api" -> body = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}";
      case "/apis" -> body = "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";
      case "/api/v1" -> body = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[{\"name\":\"secrets\","
          + "\"singularName\":\"secret\",\"namespaced\":true,\"kind\":\"Secret\",\"verbs\":[\"get\",\"list\"]}]}";
      default -> {
        body = secrets.get(path);
        if (body == null) {
          status = 404;
          body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}";
        }
      }
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
