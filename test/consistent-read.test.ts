// Readers never lock the warehouse: a read racing a writer that replaces the partition it reads must
// still give one whole version of the table, and a really damaged file must fail at once.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDuckDB } from '../src/duckdb/instance.ts';
import { readConsistently } from '../src/warehouse/local/consistent-read.ts';
import { LocalWarehouse } from '../src/warehouse/local/local.ts';
import { DATA_FILE } from '../src/warehouse/partitions.ts';

/** Version v of the partition: rows(v) rows, every one carrying v. */
const rows = (v: number): number => 1000 + (v % 7) * 3000;

test('a read racing partition replacements is retried on the new files: every answer is one whole version', { timeout: 120_000 }, async () => {
  const wh = new LocalWarehouse(await mkdtemp(join(tmpdir(), 'strata-consistent-')));
  const writerDb = await openDuckDB();
  const writer = await writerDb.connect();
  const readerDb = await openDuckDB();
  const reader = await readerDb.connect();
  const write = (v: number) =>
    wh.write(writer, `(SELECT DATE '2024-01-01' AS date, range AS id, ${v} AS v, 'x' || (range * ${v}) AS s FROM range(${rows(v)}))`, 'silver.versions', { partitionBy: 'date', fileName: DATA_FILE });
  await write(0);

  let stop = false;
  let versions = 1;
  const writing = (async () => {
    for (let v = 1; !stop; v++, versions++) await write(v);
  })();
  let reads = 0;
  let retries = 0;
  const deadline = Date.now() + 60_000;
  try {
    // Until the race has visibly happened a few times: a test that never hit it would prove nothing.
    while ((retries < 5 || reads < 200) && Date.now() < deadline) {
      const [n, lo, hi, distinct] = await readConsistently(
        wh,
        async () => {
          await wh.attach(reader);
          return (await reader.runAndReadAll('SELECT count(*)::INT, min(v)::INT, max(v)::INT, count(DISTINCT s)::INT FROM silver.versions')).getRowsJS()[0] as number[];
        },
        { onRetry: () => retries++ },
      );
      reads++;
      assert.equal(lo, hi, `read ${reads} mixes versions ${lo} and ${hi}`);
      assert.equal(n, rows(lo!), `read ${reads}: version ${lo} has ${n} rows, expected ${rows(lo!)}`);
      assert.equal(distinct, lo === 0 ? 1 : n, `read ${reads}: version ${lo} string column`);
    }
  } finally {
    stop = true;
    await writing;
    reader.closeSync();
    readerDb.closeSync();
    writer.closeSync();
    writerDb.closeSync();
  }
  assert.ok(versions > 50, `the writer replaced the partition ${versions} times`);
  assert.ok(retries >= 5, `only ${retries} torn reads in ${reads} reads racing ${versions} replacements: DuckDB may no longer reopen files mid-query; revisit src/warehouse/consistent-read.ts`);
});

test('a damaged file with no writer about is reported at once, not retried', async () => {
  const wh = new LocalWarehouse(await mkdtemp(join(tmpdir(), 'strata-consistent-')));
  const dir = join(wh.tableDir('gold.broken'), 'date=2024-01-01');
  await mkdir(dir, { recursive: true });
  // Parquet magic at both ends, garbage between: DuckDB reads the footer and fails on it.
  const bytes = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 0x5a), Buffer.from([40, 0, 0, 0]), Buffer.from('PAR1')]);
  await writeFile(join(dir, DATA_FILE), bytes);
  await new Promise((r) => setTimeout(r, 100)); // older than the read by more than the clock slack
  const db = await openDuckDB();
  const conn = await db.connect();
  let attempts = 0;
  let retries = 0;
  try {
    await assert.rejects(
      readConsistently(
        wh,
        async () => {
          attempts++;
          await wh.attach(conn);
          return conn.runAndReadAll('SELECT count(*) FROM gold.broken');
        },
        { onRetry: () => retries++ },
      ),
      // The same class of error a torn read gives: only the unchanged warehouse tells them apart.
      (err: Error) => /^Invalid Error: /.test(err.message),
    );
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  assert.equal(attempts, 1);
  assert.equal(retries, 0);
});
