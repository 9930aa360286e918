package dev.clickstream.producer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/** Writes each record's value as one line (JSONL for valid records) to a stream, for {@code --output -}. */
public final class StdoutSink implements EventSink {
  private final BufferedWriter out;

  /** @param writer destination, usually standard output; flushed, not closed, by {@link #close()} */
  public StdoutSink(Writer writer) {
    this.out = new BufferedWriter(writer, 1 << 16);
  }

  @Override
  public void send(ProducedRecord record) {
    try {
      out.write(record.value());
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to stdout", e);
    }
  }

  @Override
  public long errors() {
    return 0;
  }

  @Override
  public void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to stdout", e);
    }
  }

  @Override
  public void close() {
    flush();
  }
}
