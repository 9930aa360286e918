package dev.clickstream.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one table of {@code user_activity} contract cases (DESIGN §3), {@code event-contract-cases.jsonl} beside this
 * class: each line is {@code {"case": <name>, "record": <the record value, as a JSON string>, "expect": "valid" |
 * <reason code>}}. The producer's codec and the application's parser are both tested against it, so the two
 * validators of one contract cannot drift apart. Event times are in 2026 except where a case is about the
 * clock: {@value #NOW_PLUS_5_MINUTES} in a record stands for the time the cases are loaded plus 5 minutes, inside
 * the default MAX_EVENT_TIME_SKEW of 10 minutes (the skew rule compares with the processing time).
 */
public final class ContractCases {
  /** The {@code expect} of a record that must be accepted. */
  public static final String VALID = "valid";
  /** Placeholder in a record for the load time plus 5 minutes, ISO-8601 UTC. */
  public static final String NOW_PLUS_5_MINUTES = "NOW+5m";

  /**
   * One case.
   *
   * @param name what it is about
   * @param record the record value as sent to Kafka (UTF-8 text, maybe not JSON at all)
   * @param expect {@link #VALID} or the reason code of the dead letter
   */
  public record Case(String name, String record, String expect) {
    @Override
    public String toString() {
      return name;
    }
  }

  private ContractCases() {}

  /**
   * @return every case, in file order
   * @throws UncheckedIOException when the file is missing or a line is not such an object
   */
  public static List<Case> all() {
    ObjectMapper mapper = new ObjectMapper();
    List<Case> cases = new ArrayList<>();
    var in = ContractCases.class.getResourceAsStream("event-contract-cases.jsonl");
    if (in == null) {
      throw new UncheckedIOException(new IOException("event-contract-cases.jsonl is not on the class path"));
    }
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = mapper.readTree(line);
        String record = node.get("record").asText()
            .replace(NOW_PLUS_5_MINUTES, java.time.Instant.now().plusSeconds(300).toString());
        cases.add(new Case(node.get("case").asText(), record, node.get("expect").asText()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the contract cases", e);
    }
    return cases;
  }
}
