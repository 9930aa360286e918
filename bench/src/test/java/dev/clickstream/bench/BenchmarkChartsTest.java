package dev.clickstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkChartsTest {
  @Test
  void chartsArePngsSizedForTheirRuns(@TempDir Path dir) throws Exception {
    Map<String, Double> throughput = new LinkedHashMap<>();
    throughput.put(BenchmarkReport.CEILING, 1_000_000.0);
    throughput.put(BenchmarkReport.INGEST, 210_000.0);
    throughput.put(BenchmarkReport.TOGETHER, 120_000.0);
    BenchmarkCharts.throughput(throughput, BenchmarkReport.CEILING, dir.resolve("t.png"));
    BufferedImage bars = ImageIO.read(dir.resolve("t.png").toFile());
    assertThat(bars.getWidth()).isEqualTo(900);
    assertThat(bars.getHeight()).isEqualTo(60 + 36 * 3);

    Percentiles p = Percentiles.of(new long[] {1_000, 2_000, 3_000, 4_000});
    var result = new LatencyBenchmark.Result(5_000, dev.clickstream.app.config.IngestMode.REAL_TIME, java.util.List.of(dev.clickstream.contract.Query.INGEST), 100, 5_000.0, p, 0, p, 0, 1L << 30, 1L << 29, Map.of(), Map.of(), Map.of(), p,
        Map.of(), 1.0);
    BenchmarkCharts.latency(List.of(result), Duration.ofSeconds(5), dir.resolve("l.png"));
    BufferedImage latency = ImageIO.read(dir.resolve("l.png").toFile());
    assertThat(latency.getWidth()).isEqualTo(900);
    // not a blank canvas: the bars and the legend draw several colours
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int x = 0; x < latency.getWidth(); x += 7) {
      for (int y = 0; y < latency.getHeight(); y += 7) {
        colours.add(latency.getRGB(x, y));
      }
    }
    assertThat(colours).hasSizeGreaterThan(4);
  }
}
