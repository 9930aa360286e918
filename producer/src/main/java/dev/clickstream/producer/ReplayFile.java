package dev.clickstream.producer;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A recorded traffic file for {@code --replay}: JSONL in the event contract, or CSV with a header row of contract
 * field names: at least {@code event_time,user_id,event_type}, any of page_url, event_id, product_id, category,
 * price, quantity, currency, order_id, device, country (CSV read with Jackson's CSV module; other columns are
 * ignored; an empty cell is an absent field; a missing event_id gets a random UUID). Each CSV row is checked by the
 * contract's rules ({@link EventCodec#fromJson}) as the JSON object it stands for, price and quantity as JSON
 * numbers written as in the cell. Records that do not parse are kept as {@link BadLine}s with their line number
 * and reason; the rest are returned in file order.
 *
 * @param events the parsed events, in file order
 * @param badLines the lines that were skipped
 */
public record ReplayFile(List<UserActivityEvent> events, List<BadLine> badLines) {
  /**
   * @param line 1-based line number in the file
   * @param reason why it was skipped
   */
  public record BadLine(long line, String reason) {}

  /**
   * @param instant where the first event should lie
   * @return the shift that moves the first event to {@code instant} (zero for an empty file)
   */
  public java.time.Duration shiftTo(java.time.Instant instant) {
    return events.isEmpty() ? java.time.Duration.ZERO : java.time.Duration.between(events.get(0).eventTime(), instant);
  }

  /**
   * @param shift added to every event time ({@link #shiftTo} for --shift-to-now)
   * @return the events as records to send, keyed by user id, in file order
   */
  public List<ProducedRecord> toRecords(java.time.Duration shift) {
    return events.stream().map(e -> e.withEventTime(e.eventTime().plus(shift)))
        .map(e -> new ProducedRecord(e.userId(), EventCodec.toJson(e), ProducedRecord.Kind.ON_TIME, e, null))
        .toList();
  }

  /**
   * Reads a file; the format is CSV when the name ends in {@code .csv}, else JSONL.
   *
   * @param file the file
   * @return events and skipped lines
   * @throws IOException when the file cannot be read, or a CSV file lacks the required header columns
   */
  public static ReplayFile read(Path file) throws IOException {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return file.getFileName().toString().toLowerCase().endsWith(".csv") ? readCsv(reader) : readJsonLines(reader);
    }
  }

  /**
   * @param reader JSONL text: one contract event per line; blank lines are ignored
   * @return events and skipped lines
   * @throws IOException when reading fails
   */
  public static ReplayFile readJsonLines(Reader reader) throws IOException {
    List<UserActivityEvent> events = new ArrayList<>();
    List<BadLine> bad = new ArrayList<>();
    BufferedReader lines = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    String line;
    long number = 0;
    while ((line = lines.readLine()) != null) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      try {
        events.add(EventCodec.fromJson(line));
      } catch (MalformedEventException e) {
        bad.add(new BadLine(number, e.getMessage()));
      }
    }
    return new ReplayFile(events, bad);
  }

  /**
   * @param reader CSV text with a header row naming at least event_time, user_id, event_type
   * @return events and skipped lines
   * @throws IOException when reading fails or a required column is missing from the header
   */
  public static ReplayFile readCsv(Reader reader) throws IOException {
    CsvMapper mapper = new CsvMapper();
    mapper.enable(CsvParser.Feature.TRIM_SPACES);
    List<UserActivityEvent> events = new ArrayList<>();
    List<BadLine> bad = new ArrayList<>();
    try (MappingIterator<Map<String, String>> rows = mapper.readerForMapOf(String.class)
        .with(CsvSchema.emptySchema().withHeader()).readValues(reader)) {
      CsvSchema header = (CsvSchema) rows.getParser().getSchema();
      for (String column : List.of("event_time", "user_id", "event_type")) {
        if (header.column(column) == null) {
          throw new IOException("CSV header lacks column " + column + " (a header row of contract field names, at least "
              + "event_time,user_id,event_type)");
        }
      }
      long lineNumber = 1; // the header; assumes no quoted field spans lines
      while (rows.hasNext()) {
        Map<String, String> row;
        lineNumber++;
        try {
          row = rows.next();
        } catch (RuntimeException e) {
          bad.add(new BadLine(lineNumber, "not CSV: " + e.getMessage()));
          continue;
        }
        try {
          events.add(fromCsvRow(row));
        } catch (MalformedEventException e) {
          bad.add(new BadLine(lineNumber, e.getMessage()));
        }
      }
    }
    return new ReplayFile(events, bad);
  }

  /** A JSON number as written (RFC 8259). */
  private static final String JSON_NUMBER = "-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private static UserActivityEvent fromCsvRow(Map<String, String> row) throws MalformedEventException {
    com.fasterxml.jackson.databind.node.ObjectNode node = JSON.createObjectNode();
    for (String field : dev.clickstream.contract.EventContract.FIELDS) {
      String cell = row.get(field);
      if (cell == null || cell.isEmpty()) {
        continue;
      }
      if (dev.clickstream.contract.EventContract.NUMBERS.contains(field) && cell.matches(JSON_NUMBER)) {
        node.putRawValue(field, new com.fasterxml.jackson.databind.util.RawValue(cell));
      } else {
        node.put(field, cell); // a price that is not a number stays text: "wrong type: price must be a number"
      }
    }
    if (!node.has("event_id")) {
      node.put("event_id", UUID.randomUUID().toString());
    }
    return EventCodec.fromJson(node.toString());
  }
}
