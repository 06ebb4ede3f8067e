/**
 * Benchmark: a full TLC month through the taxi topology in-process (Bronze → Silver → Gold, the real
 * source, operators and warehouse writes), and beside it the same SQL models run by a bare DuckDB
 * on the same Parquet (no batching, no upserts, one pass per table) — the floor the pipeline is
 * measured against.
 *
 *   node --import tsx bench/taxi-month.ts [--file F] [--rows 3000000] [--batch-rows 500000] [--json]
 *
 * Without --file it uses (and first generates, if missing) .cache/taxi/yellow_tripdata_2025-01.parquet
 * from scripts/generate-taxi-month.ts. Results also go to bench/results/taxi-month.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import type { TlcSourceSpec } from '../src/config/types.ts';
import { seedCsvSql } from '../src/engines/duckdb/csv.ts';
import { lit, openDuckDB } from '../src/engines/duckdb/instance.ts';
import { renderSql } from '../src/engines/sql-template.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { buildGraph } from '../src/runtime/build.ts';
import { Pipeline, runToCompletion } from '../src/runtime/pipeline.ts';
import { generateTaxiMonth } from '../src/sources/tlc/generate.ts';
import { openTlcFile } from '../src/sources/tlc/reader.ts';
import { Warehouse } from '../src/warehouse/warehouse.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOPOLOGY = join(ROOT, 'topologies/taxi.yaml');
const SQL = join(ROOT, 'sql/taxi');

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    rows: { type: 'string', default: '3000000' },
    'batch-rows': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

async function ensureFile(): Promise<string> {
  if (values.file) return resolve(values.file);
  const file = join(ROOT, '.cache/taxi/yellow_tripdata_2025-01.parquet');
  if (existsSync(file)) return file;
  await mkdir(dirname(file), { recursive: true });
  const db = await openDuckDB();
  const conn = await db.connect();
  process.stderr.write(`generating ${file} (${values.rows} trips)…\n`);
  await generateTaxiMonth(conn, { month: '2025-01', rows: Number(values.rows), out: file });
  conn.closeSync();
  db.closeSync();
  return file;
}

/** The taxi topology over `file`, in-process, into a fresh warehouse. */
async function runPipeline(file: string, batchRows: number | undefined): Promise<{ seconds: number; rows: number; silver: number; rejected: number; batches: number; operators: Record<string, number>; peakRssMb: number }> {
  const wh = new Warehouse(await mkdtemp(join(tmpdir(), 'strata-bench-')));
  try {
    const topo = await loadTopology(TOPOLOGY);
    const src = topo.spec.sources.trips as TlcSourceSpec;
    topo.spec.sources.trips = { ...src, files: [file], batch_rows: batchRows ?? src.batch_rows };
    const config = await loadServiceConfig(undefined, {});
    const db = await openDuckDB({ ...config.duckdb, temp_directory: join(wh.root, '_state', 'duckdb_tmp') });
    const metrics = new Metrics();
    const graph = buildGraph(topo, { config, log: pino({ level: 'silent' }), metrics, cacheDir: join(wh.root, '_state', 'cache') });
    const p = new Pipeline(topo, graph, { db, warehouse: wh, log: pino({ level: 'silent' }), metrics });
    // Peak resident memory while the pipeline runs (the bare run afterwards holds the whole month).
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const t0 = performance.now();
    await runToCompletion(p);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    db.closeSync();
    if (p.status.failedBatches || p.status.lastError) throw new Error(`pipeline failed: ${p.status.lastError}`);
    const q = await openDuckDB();
    const conn = await q.connect();
    await wh.attachViews(conn);
    const n = async (sql: string): Promise<number> => Number((await conn.runAndReadAll(sql)).getRowsJS()[0]![0]);
    // Seconds spent in each operator (the rest: reading the source, loading batches, committing).
    const operators: Record<string, number> = {};
    for (const v of (await metrics.batchDuration.get()).values) {
      if (v.metricName === 'strata_operator_batch_duration_seconds_sum') operators[String(v.labels.operator)] = Number(v.value.toFixed(2));
    }
    const out = { operators, peakRssMb: Math.round(peak / 2 ** 20), seconds, rows: await n('SELECT count(*) FROM bronze.taxi_trips'), silver: await n('SELECT count(*) FROM silver.taxi_trips'), rejected: await n('SELECT count(*) FROM silver.taxi_trips_rejected'), batches: p.status.batches };
    conn.closeSync();
    q.closeSync();
    return out;
  } finally {
    await rm(wh.root, { recursive: true, force: true });
  }
}

/** The same models, bare: one DuckDB, whole file at once, each table written once as partitioned Parquet. */
async function runBare(file: string): Promise<{ seconds: number }> {
  const out = await mkdtemp(join(tmpdir(), 'strata-bare-'));
  const db = await openDuckDB();
  const conn = await db.connect();
  try {
    const model = async (name: string): Promise<string> => renderSql(await readFile(join(SQL, `${name}.sql`), 'utf8'), {}, name, { includeDir: SQL });
    const copy = (rel: string, dir: string): string => `COPY ${rel} TO ${lit(join(out, dir))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)`;
    const t0 = performance.now();
    const f = await openTlcFile(conn, file, { stagingDir: join(out, 'staged') });
    await conn.run(`CREATE TEMP TABLE taxi_zones AS SELECT * FROM ${seedCsvSql(join(ROOT, 'sql/seeds/taxi_zone_lookup.csv'))}`);
    await conn.run(`CREATE TEMP TABLE input AS SELECT *, 'bench' AS _source, now()::TIMESTAMP AS _ingested_at, 'bench' AS _batch_id, '' AS _position, CAST(pickup_datetime AS DATE) AS date FROM ${f.scan(0, f.rows)}`);
    await conn.run(copy('input', 'bronze'));
    await conn.run(`CREATE TEMP TABLE silver AS ${await model('silver.taxi_trips')}`);
    await conn.run(copy('silver', 'silver'));
    await conn.run(copy(`(${await model('silver.taxi_trips_rejected')})`, 'rejected'));
    await conn.run('DROP TABLE input; CREATE TEMP VIEW input AS SELECT * FROM silver');
    await conn.run(copy(`(${await model('gold.taxi_daily_zone')})`, 'daily_zone'));
    await conn.run(copy(`(${await model('gold.taxi_hourly_demand')})`, 'hourly_demand'));
    return { seconds: (performance.now() - t0) / 1000 };
  } finally {
    conn.closeSync();
    db.closeSync();
    await rm(out, { recursive: true, force: true });
  }
}

const file = await ensureFile();
const batchRows = values['batch-rows'] ? Number(values['batch-rows']) : undefined;
const pipe = await runPipeline(file, batchRows);
const bare = await runBare(file);
const result = {
  file,
  rows: pipe.rows,
  batches: pipe.batches,
  silver: pipe.silver,
  rejected: pipe.rejected,
  pipeline_seconds: Number(pipe.seconds.toFixed(2)),
  pipeline_rows_per_second: Math.round(pipe.rows / pipe.seconds),
  pipeline_operator_seconds: pipe.operators,
  bare_duckdb_seconds: Number(bare.seconds.toFixed(2)),
  bare_duckdb_rows_per_second: Math.round(pipe.rows / bare.seconds),
  cpus: cpus().length,
  pipeline_peak_rss_mb: pipe.peakRssMb,
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  load_average: Number((await import('node:os')).loadavg()[0]!.toFixed(1)),
};
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(join(ROOT, 'bench/results/taxi-month.json'), JSON.stringify(result, null, 2) + '\n');
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  process.stdout.write(
    `taxi month: ${result.rows.toLocaleString('en')} trips (${result.silver.toLocaleString('en')} silver, ${result.rejected.toLocaleString('en')} rejected) in ${result.batches} batches\n` +
      `  Bronze → Gold in-process: ${result.pipeline_seconds} s = ${result.pipeline_rows_per_second.toLocaleString('en')} rows/s\n` +
      `    seconds per operator: ${Object.entries(result.pipeline_operator_seconds).map(([k, v]) => `${k} ${v}`).join(', ')}\n` +
      `  bare DuckDB, same SQL:    ${result.bare_duckdb_seconds} s = ${result.bare_duckdb_rows_per_second.toLocaleString('en')} rows/s\n` +
      `  (${result.cpus} CPUs, load average ${result.load_average}; peak RSS ${result.pipeline_peak_rss_mb} MB during the pipeline, ${result.peak_rss_mb} MB overall)\n`,
  );
}
