package dev.clickstream.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.OptionalLong;

/**
 * Reads the lake table's Delta log as text, the way {@code verify} sees it through the driver pod: commit files
 * {@code _delta_log/00000000000000000042.json}, one JSON action per line (Delta protocol, "Delta Log Entries").
 */
final class LakeLog {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LakeLog() {}

  /**
   * @param listing file names of {@code _delta_log}, one per line ({@code ls} output)
   * @return the newest committed version, or empty when there is none
   */
  static OptionalLong latestVersion(String listing) {
    return listing.lines().map(String::trim).filter(n -> n.matches("\\d{20}\\.json"))
        .mapToLong(n -> Long.parseLong(n.substring(0, 20))).max();
  }

  /**
   * @param commits the text of one or more commit files
   * @return rows the commits added as new data: the {@code numRecords} statistics of {@code add} actions with
   *     {@code dataChange=true} (compaction commits re-add existing rows with {@code dataChange=false})
   * @throws IllegalArgumentException when a line is not JSON
   */
  static long addedRows(String commits) {
    long rows = 0;
    for (String line : commits.lines().filter(l -> !l.isBlank()).toList()) {
      JsonNode add = parse(line).get("add");
      if (add != null && add.path("dataChange").asBoolean(false) && add.hasNonNull("stats")) {
        rows += parse(add.get("stats").asText()).path("numRecords").asLong(0);
      }
    }
    return rows;
  }

  private static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a Delta log line: " + text.substring(0, Math.min(80, text.length())), e);
    }
  }
}
