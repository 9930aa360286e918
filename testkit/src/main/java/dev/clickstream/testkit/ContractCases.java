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
 * The one table of {@code user_activity} contract cases (architecture §3), {@code event-contract-cases.jsonl} beside this
 * class: each line is {@code {"case": <name>, "record": <the record value, as a JSON string>, "expect": "valid" |
 * <reason code>}}, or with {@code "record_base64"} instead of {@code "record"} for bytes that are not UTF-8 text
 * (what the fuzzer found: {@code EventRecordParserFuzzTest}). The producer's codec and the application's parser are both tested against it, so the two
 * validators of one contract cannot drift apart. Event times are in 2026 except where a case is about the
 * clock: {@value #NOW_PLUS_30_SECONDS} in a record stands for the time the cases are loaded plus 30 s, inside the
 * default MAX_EVENT_TIME_SKEW of 1 minute, and {@value #NOW_PLUS_5_MINUTES} for that plus 5 minutes, beyond it (the
 * skew rule compares with the processing time). {@code {{x*N}}} in a record stands for N copies of the text x
 * (the cases at the length bounds).
 */
public final class ContractCases {
  /** The {@code expect} of a record that must be accepted. */
  public static final String VALID = "valid";
  /** Placeholder in a record for the load time plus 30 s, ISO-8601 UTC. */
  public static final String NOW_PLUS_30_SECONDS = "NOW+30s";
  /** Placeholder in a record for the load time plus 5 minutes, ISO-8601 UTC. */
  public static final String NOW_PLUS_5_MINUTES = "NOW+5m";
  private static final java.util.regex.Pattern REPEAT = java.util.regex.Pattern.compile("\\{\\{(.+?)\\*(\\d+)}}");

  /**
   * One case.
   *
   * @param name what it is about
   * @param record the record value as text (UTF-8, maybe not JSON at all; bytes that are not UTF-8 show as U+FFFD)
   * @param expect {@link #VALID} or the reason code of the dead letter
   * @param value the record value as sent to Kafka: {@code record}'s UTF-8 bytes, or the bytes of
   *     {@code record_base64}
   */
  public record Case(String name, String record, String expect, byte[] value) {
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
        java.time.Instant now = java.time.Instant.now();
        String name = node.get("case").asText();
        String expect = node.get("expect").asText();
        if (node.has("record_base64")) {
          byte[] value = java.util.Base64.getDecoder().decode(node.get("record_base64").asText());
          cases.add(new Case(name, new String(value, StandardCharsets.UTF_8), expect, value));
          continue;
        }
        String record = expand(node.get("record").asText())
            .replace(NOW_PLUS_30_SECONDS, now.plusSeconds(30).toString())
            .replace(NOW_PLUS_5_MINUTES, now.plusSeconds(300).toString());
        cases.add(new Case(name, record, expect, record.getBytes(StandardCharsets.UTF_8)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the contract cases", e);
    }
    return cases;
  }

  /** @return {@code record} with each {@code {{x*N}}} replaced by N copies of x */
  static String expand(String record) {
    java.util.regex.Matcher m = REPEAT.matcher(record);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(m.group(1).repeat(Integer.parseInt(m.group(2)))));
    }
    m.appendTail(out);
    return out.toString();
  }
}
