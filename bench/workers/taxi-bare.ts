/**
 * The taxi models run by a bare DuckDB: the whole file at once, no batching, no upserts, each table
 * written once as date-partitioned Parquet — the compute floor the taxi pipeline is compared with.
 *
 *   node --import tsx bench/workers/taxi-bare.ts --file F --out DIR
 *
 * Prints {"rows", "seconds"} (seconds of the SQL work, after module loading) on stdout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seedCsvSql } from '../../src/duckdb/csv.ts';
import { lit, openDuckDB } from '../../src/duckdb/instance.ts';
import { renderSql } from '../../src/duckdb/sql-template.ts';
import { openTlcFile } from '../../src/sources/tlc/reader.ts';
import { ROOT } from '../lib/paths.ts';

const { values } = parseArgs({ options: { file: { type: 'string' }, out: { type: 'string' } } });
if (!values.file || !values.out) throw new Error('usage: taxi-bare.ts --file F --out DIR');
const SQL = join(ROOT, 'sql/taxi');
const out = values.out;

const db = await openDuckDB();
const conn = await db.connect();
const model = async (name: string): Promise<string> => renderSql(await readFile(join(SQL, `${name}.sql`), 'utf8'), {}, name, { includeDir: SQL });
const copy = (rel: string, dir: string): string => `COPY ${rel} TO ${lit(join(out, dir))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE)`;
const t0 = performance.now();
// The same reader as the pipeline (checks, canonical columns, lineage), then Bronze, Silver, rejects, Gold.
const f = await openTlcFile(conn, values.file, { stagingDir: join(out, 'staged') });
await conn.run(`CREATE TEMP TABLE taxi_zones AS SELECT * FROM ${seedCsvSql(join(ROOT, 'sql/seeds/taxi_zone_lookup.csv'))}`);
await conn.run(`CREATE TEMP TABLE input AS SELECT *, 'bench' AS _source, now()::TIMESTAMP AS _ingested_at, 'bench' AS _batch_id, '' AS _position, CAST(pickup_datetime AS DATE) AS date FROM ${f.scan(0, f.rows)}`);
await conn.run(copy('input', 'bronze'));
await conn.run(`CREATE TEMP TABLE silver AS ${await model('silver.taxi_trips')}`);
await conn.run(copy('silver', 'silver'));
await conn.run(copy(`(${await model('silver.taxi_trips_rejected')})`, 'rejected'));
await conn.run('DROP TABLE input; CREATE TEMP VIEW input AS SELECT * FROM silver');
await conn.run(copy(`(${await model('gold.taxi_daily_zone')})`, 'daily_zone'));
await conn.run(copy(`(${await model('gold.taxi_hourly_demand')})`, 'hourly_demand'));
const seconds = (performance.now() - t0) / 1000;
conn.closeSync();
db.closeSync();
process.stdout.write(`${JSON.stringify({ rows: f.rows, seconds })}\n`);
