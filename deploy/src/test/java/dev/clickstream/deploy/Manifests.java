package dev.clickstream.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Rendered Kubernetes manifests: split, looked up by kind and name, and checked strictly against model classes. */
final class Manifests {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  final List<JsonNode> documents;

  private Manifests(List<JsonNode> documents) {
    this.documents = documents;
  }

  static Manifests parse(String rendered) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).readValues(rendered)) {
      while (it.hasNext()) {
        JsonNode node = (JsonNode) it.next();
        if (node != null && !node.isNull() && !node.isMissingNode() && node.size() > 0) {
          docs.add(node);
        }
      }
    }
    return new Manifests(docs);
  }

  List<JsonNode> ofKind(String kind) {
    return documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
  }

  JsonNode one(String kind) {
    List<JsonNode> all = ofKind(kind);
    if (all.size() != 1) {
      throw new AssertionError("expected one " + kind + ", found " + all.size());
    }
    return all.get(0);
  }

  /**
   * Reads a manifest into a model class and fails on any field the class does not know: fabric8 and Strimzi
   * models keep unknown fields in additionalProperties instead of rejecting them, so those maps must be empty.
   */
  static <T> T strict(JsonNode manifest, Class<T> type) {
    T value = YAML.convertValue(manifest, type);
    List<String> unknown = new ArrayList<>();
    collectUnknown(value, manifest.path("kind").asText(), unknown);
    if (!unknown.isEmpty()) {
      throw new AssertionError("unknown fields in " + manifest.path("kind").asText() + " "
          + manifest.path("metadata").path("name").asText() + ": " + unknown);
    }
    return value;
  }

  private static void collectUnknown(Object value, String path, List<String> unknown) {
    if (value == null) {
      return;
    }
    if (value instanceof Collection<?> c) {
      int i = 0;
      for (Object o : c) {
        collectUnknown(o, path + "[" + i++ + "]", unknown);
      }
      return;
    }
    if (value instanceof Map<?, ?> m) {
      m.forEach((k, v) -> collectUnknown(v, path + "." + k, unknown));
      return;
    }
    String pkg = value.getClass().getPackageName();
    if (!pkg.startsWith("io.fabric8") && !pkg.startsWith("io.strimzi")) {
      return;
    }
    for (Method m : value.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
        continue;
      }
      try {
        Object child = m.invoke(value);
        if (m.getName().equals("getAdditionalProperties")) {
          if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
            unknown.add(path + ": " + extra.keySet());
          }
        } else {
          collectUnknown(child, path + "." + m.getName().substring(3), unknown);
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // a computed getter that does not apply here
      }
    }
  }
}
