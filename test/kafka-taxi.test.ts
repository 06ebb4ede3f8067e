// Taxi trips through Kafka: `strata produce taxi` publishes a TLC file as TripBatch messages, the
// taxi topology's topic source lands them; publishing the same file again duplicates nothing
// downstream (trip_key = service | file | row number, the same as the file source's).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDuckDB } from '../src/duckdb/instance.ts';
import { generateTaxiMonth } from '../dev/tlc/generate.ts';
import { freshName, produce, query, requireBroker, ROOT, startStrata, testConfig, waitFor } from './support/kafka.ts';

const CSV = join(ROOT, 'samples/taxi/yellow_tripdata_2020-07_head.csv'); // the real TLC rows of ../shared/data/taxi

test('a TLC file produced twice (Parquet) and a real CSV land in silver and gold once', { timeout: 150_000 }, async () => {
  await requireBroker();
  const prefix = freshName('taxi');
  const { file: config } = await testConfig({ prefix, topologies: [join(ROOT, 'topologies/taxi.yaml')] });
  const dir = await mkdtemp(join(tmpdir(), 'strata-taxi-'));
  const month = join(dir, 'yellow_tripdata_2024-02.parquet');
  const db = await openDuckDB();
  const conn = await db.connect();
  await generateTaxiMonth(conn, { month: '2024-02', rows: 20_000, out: month });
  conn.closeSync();
  db.closeSync();

  const a = await produce(config, ['taxi', '--file', month, '--batch-rows', '3000']);
  assert.deepEqual(a, { topic: `${prefix}strata.tlc.trips`, file: 'yellow_tripdata_2024-02.parquet', messages: 7, trips: 20_000 });
  await produce(config, ['taxi', '--file', month, '--batch-rows', '3000']); // re-published
  const csv = await produce(config, ['taxi', '--file', CSV]);
  assert.equal(csv.trips, 266);

  const svc = await startStrata(config);
  try {
    await waitFor('15 messages consumed', async () => ((await svc.metric('strata_topic_messages_total', /result="ok"/)) === 15 ? true : undefined), 90_000);
  } finally {
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exited(), 0, svc.stderr().slice(-2000));
  }
  const one = <T>(sql: string): T => query<T>(config, sql)[0]!;
  const bronze = one<{ n: number; files: number }>(`SELECT count(*) AS n, count(DISTINCT _source_file) AS files FROM bronze.taxi_trips`);
  assert.equal(Number(bronze.n), 2 * 20_000 + 266, 'bronze keeps every message as received');
  const silver = one<{ n: number; keys: number }>(`SELECT count(*) AS n, count(DISTINCT trip_key) AS keys FROM silver.taxi_trips`);
  const rejected = one<{ n: number }>(`SELECT count(DISTINCT (_source_file, _row_number)) AS n FROM silver.taxi_trips_rejected`);
  assert.equal(Number(silver.n), Number(silver.keys), 'no trip twice in silver');
  assert.equal(Number(silver.n) + Number(rejected.n), 20_000 + 266, 'every trip once: kept or rejected');
  const gold = one<{ trips: number }>(`SELECT sum(trips) AS trips FROM gold.taxi_daily_zone`);
  assert.equal(Number(gold.trips), Number(silver.n), 'gold counts each silver trip once');
  const lineage = one<{ n: number }>(`SELECT count(*) AS n FROM silver.taxi_trips WHERE _source_file = 'yellow_tripdata_2020-07_head.csv' AND _row_number BETWEEN 1 AND 266`);
  assert.ok(Number(lineage.n) > 200, 'the CSV keeps its file name and row numbers');
});
