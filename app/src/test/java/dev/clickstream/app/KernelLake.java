package dev.clickstream.app;

import io.delta.kernel.Scan;
import io.delta.kernel.Snapshot;
import io.delta.kernel.Table;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.data.FilteredColumnarBatch;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.internal.InternalScanFileUtils;
import io.delta.kernel.internal.data.ScanStateRow;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * The lake as another engine than Spark sees it: Delta Kernel for Java reads the table's log and its Parquet files
 * (the pattern of Kernel's own {@code SingleThreadedTableReader} example), no SparkSession involved.
 */
final class KernelLake {
  private KernelLake() {}

  /** @return the event_id of every row in the table's latest snapshot, duplicates kept */
  static List<String> eventIds(String tablePath) throws IOException {
    Engine engine = DefaultEngine.create(new Configuration());
    Snapshot snapshot = Table.forPath(engine, tablePath).getLatestSnapshot(engine);
    StructType readSchema = new StructType().add("event_id", StringType.STRING);
    Scan scan = snapshot.getScanBuilder().withReadSchema(readSchema).build();
    Row scanState = scan.getScanState(engine);
    StructType physical = ScanStateRow.getPhysicalDataReadSchema(scanState);
    List<String> ids = new ArrayList<>();
    try (CloseableIterator<FilteredColumnarBatch> scanFiles = scan.getScanFiles(engine)) {
      while (scanFiles.hasNext()) {
        try (CloseableIterator<Row> files = scanFiles.next().getRows()) {
          while (files.hasNext()) {
            Row scanFile = files.next();
            FileStatus file = InternalScanFileUtils.getAddFileStatus(scanFile);
            CloseableIterator<ColumnarBatch> physicalData = engine.getParquetHandler()
                .readParquetFiles(Utils.singletonCloseableIterator(file), physical, Optional.empty())
                .map(r -> r.getData());
            try (CloseableIterator<FilteredColumnarBatch> data = Scan.transformPhysicalData(engine, scanState, scanFile, physicalData)) {
              while (data.hasNext()) {
                FilteredColumnarBatch batch = data.next();
                ColumnVector eventId = batch.getData().getColumnVector(0);
                Optional<ColumnVector> selected = batch.getSelectionVector();
                for (int i = 0; i < batch.getData().getSize(); i++) {
                  if (selected.isEmpty() || (!selected.get().isNullAt(i) && selected.get().getBoolean(i))) {
                    ids.add(eventId.getString(i));
                  }
                }
              }
            }
          }
        }
      }
    }
    return ids;
  }
}
