import type { DuckDBConnection } from '@duckdb/node-api';
import { AvroEncoder, type AvroSchema } from '../avro/codec.ts';
import { CANONICAL_COLUMNS } from '../sources/tlc/columns.ts';
import { openTlcFile } from '../sources/tlc/reader.ts';
import type { TopicProducer } from '../transport/transport.ts';

export interface TaxiProduceOptions {
  conn: DuckDBConnection;
  file: string;
  /** Where a CSV is staged as Parquet by the TLC reader. */
  stagingDir: string;
  batchRows: number;
  producer: TopicProducer;
  topic: string;
  schema: AvroSchema;
  onBatch?: (index: number, trips: number) => void;
}

const TIMESTAMPS = new Set(CANONICAL_COLUMNS.filter((c) => c.type === 'TIMESTAMP').map((c) => c.name));
const INTEGERS = new Set(CANONICAL_COLUMNS.filter((c) => c.type === 'BIGINT').map((c) => c.name));

/**
 * Publishes a TLC trip file as TripBatch messages, batch k holding rows k·batchRows+1 …, keyed
 * `<file>#<k>`. The file is read and checked by the taxi source's reader (same columns, same row
 * numbers), so the same file always gives the same batches: a re-sent file is recognised downstream.
 */
export async function produceTaxiFile(o: TaxiProduceOptions): Promise<{ file: string; messages: number; trips: number }> {
  const f = await openTlcFile(o.conn, o.file, { stagingDir: o.stagingDir });
  const encoder = new AvroEncoder(o.schema);
  const count = Math.ceil(f.rows / o.batchRows);
  const cols = ['service', ...CANONICAL_COLUMNS.map((c) => c.name)];
  // Times as epoch millis of the wall-clock value (local-timestamp-millis), integers as numbers.
  const select = cols.map((c) => (TIMESTAMPS.has(c) ? `epoch_ms(${c}) AS ${c}` : INTEGERS.has(c) ? `CAST(${c} AS DOUBLE) AS ${c}` : c)).join(', ');
  let trips = 0;
  for (let k = 0; k < count; k++) {
    const r = await o.conn.runAndReadAll(`SELECT ${select}, _row_number FROM ${f.scan(k, o.batchRows)} ORDER BY _row_number`);
    const data = r.getColumnsJS();
    const n = r.currentRowCount;
    const batch = Array.from({ length: n }, (_, i) => {
      const t: Record<string, unknown> = {};
      cols.forEach((c, j) => {
        const v = data[j]![i];
        t[c] = v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : v;
      });
      return t;
    });
    const firstRow = n ? Number(data[cols.length]![0]) - 1 : k * o.batchRows;
    const value = encoder.encode({ source_file: f.name, batch_index: k, batch_count: count, first_row: firstRow, trips: batch });
    await o.producer.send(o.topic, [{ key: `${f.name}#${k}`, value }]);
    trips += n;
    o.onBatch?.(k, n);
  }
  return { file: f.name, messages: count, trips };
}
