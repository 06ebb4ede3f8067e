/**
 * Writes a full-month-sized yellow-taxi Parquet file (default 3 million trips) in the TLC's 2025
 * schema, drawn from the distribution of the real sample trips, for the benchmark.
 *
 *   node --import tsx scripts/generate-taxi-month.ts [--month 2025-01] [--rows 3000000] [--out FILE]
 *
 * Default output: .cache/taxi/yellow_tripdata_<month>.parquet (the TLC file name, so the pipeline
 * reads the month from it). The file is deterministic for given arguments.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDuckDB } from '../src/duckdb/instance.ts';
import { generateTaxiMonth } from '../dev/tlc/generate.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    month: { type: 'string', default: '2025-01' },
    rows: { type: 'string', default: '3000000' },
    out: { type: 'string' },
  },
});
const month = values.month!;
const rows = Number(values.rows);
const out = resolve(values.out ?? resolve(ROOT, '.cache/taxi', `yellow_tripdata_${month}.parquet`));
await mkdir(dirname(out), { recursive: true });

const db = await openDuckDB();
const conn = await db.connect();
const t0 = performance.now();
const tmp = `${out}.tmp`;
await generateTaxiMonth(conn, { month, rows, out: tmp });
await rename(tmp, out);
process.stdout.write(`${out}: ${rows} trips for ${month} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
conn.closeSync();
db.closeSync();
await rm(tmp, { force: true });
