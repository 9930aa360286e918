package dev.clickstream.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of one scrape in the Prometheus text exposition format 0.0.4, for tests that read {@code /metrics}.
 * Comments ({@code # HELP}, {@code # TYPE}) are skipped; each sample is keyed by its name and label set.
 *
 * @param samples {@code name{a="x",b="y"}} (labels sorted by name; just {@code name} without labels) -> value
 */
public record PrometheusText(Map<String, Double> samples) {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /**
   * @param text a scrape's body
   * @return its samples
   * @throws IllegalArgumentException naming the first line that is not a sample or a comment
   */
  public static PrometheusText parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a sample line: " + line);
      }
      Map<String, String> labels = new TreeMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.put(key(m.group(1), labels), Double.parseDouble(m.group(4).replace("+Inf", "Infinity").replace("-Inf", "-Infinity")));
    }
    return new PrometheusText(samples);
  }

  /**
   * @param url e.g. {@code http://127.0.0.1:9464/metrics}
   * @return the samples served there now
   * @throws IOException when nothing answers, or with a status other than 200
   */
  public static PrometheusText scrape(String url) throws IOException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(url + " answered " + r.statusCode());
      }
      return parse(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * @param name sample name, e.g. {@code clickstream_input_rows_total}
   * @param labels label name, value, name, value, ... (the sample's whole label set)
   * @return its value, or empty when there is no such sample
   */
  public OptionalDouble value(String name, String... labels) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      m.put(labels[i], labels[i + 1]);
    }
    Double v = samples.get(key(name, m));
    return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  /** @return the sample names present (histograms as their {@code _bucket}, {@code _count}, {@code _sum}) */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    samples.keySet().forEach(k -> names.add(k.contains("{") ? k.substring(0, k.indexOf('{')) : k));
    return names;
  }

  private static String key(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder b = new StringBuilder(name).append('{');
    labels.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
    b.setLength(b.length() - 1);
    return b.append('}').toString();
  }
}
