/**
 * DuckDB memory that would grow in a long-running service (found by `npm run soak`, bench/soak.ts):
 * the instances Strata opens must not keep an external file cache of the warehouse files they read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lit, openDuckDB } from '../src/duckdb/instance.ts';

test('reading Parquet files leaves nothing in DuckDB\'s external file cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-duckdb-mem-'));
  const db = await openDuckDB({ memory_limit: '256MB', threads: 1 });
  const conn = await db.connect();
  try {
    const cached = async (): Promise<number> =>
      Number((await conn.runAndReadAll("SELECT COALESCE(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'EXTERNAL_FILE_CACHE'")).getRowsJS()[0]![0]);
    // Like the warehouse over time: many files, each written once and read back.
    for (let i = 0; i < 20; i++) {
      const file = join(dir, `part-${i}.parquet`);
      await conn.run(`COPY (SELECT range AS id, md5(CAST(range AS VARCHAR)) AS s FROM range(20000)) TO ${lit(file)} (FORMAT parquet)`);
      const n = (await conn.runAndReadAll(`SELECT count(DISTINCT s) FROM read_parquet(${lit(file)})`)).getRowsJS()[0]![0];
      assert.equal(Number(n), 20000);
    }
    assert.equal(await cached(), 0);
  } finally {
    conn.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
});
