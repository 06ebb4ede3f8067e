import { loadTopology } from './src/config/topology.ts';
import { planSparkJob } from './src/engines/spark/plan.ts';
import { Warehouse } from './src/warehouse/warehouse.ts';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { openDuckDB, lit } from './src/engines/duckdb/instance.ts';
import { seedCsvSql } from './src/engines/duckdb/csv.ts';
const topo = await loadTopology('topologies/air_quality.yaml');
const wh = new Warehouse('/tmp/whB');
const files = await wh.files('bronze.open_meteo_air_quality');
const staging = '/tmp/whB/_staging/manual';
rmSync(staging, { recursive: true, force: true }); mkdirSync(staging, { recursive: true });
const { spec, csv } = planSparkJob(topo, { layers: new Set(['silver', 'gold']), inputs: { bronze: { table: 'bronze.open_meteo_air_quality', partition_by: 'date', files, partitions: ['2024-03-02','2024-03-03','2024-03-04','2024-03-05'], rows: 288 } }, warehouse: wh.root, staging, jobId: 'manual', appName: 'manual', batchId: 'manual' });
const db = await openDuckDB(); const c = await db.connect();
for (const r of csv) { mkdirSync(staging + '/relations', { recursive: true }); await c.run(`COPY (SELECT * FROM ${seedCsvSql(r.csv)}) TO ${lit(r.parquet)} (FORMAT parquet)`); }
writeFileSync(staging + '/spec.json', JSON.stringify(spec, null, 1));
console.log(spec.operators.map(o => o.name + ':\n' + o.sql).join('\n-----\n'));
