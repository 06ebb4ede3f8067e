import { DuckDBInstance } from '@duckdb/node-api';
import { loadSqlModel } from './src/engines/sql-template.ts';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const q = async (s: string) => (await c.runAndReadAll(s)).getRowObjectsJS();
await c.run(`CREATE TABLE us_aqi_breakpoints AS SELECT * FROM read_csv('sql/seeds/us_aqi_breakpoints.csv', header=true)`);
await c.run(`CREATE TABLE eu_aqi_bands AS SELECT * FROM read_csv('sql/seeds/eu_aqi_bands.csv', header=true)`);
console.log(await q(`DESCRIBE us_aqi_breakpoints`));
console.log(await q(`DESCRIBE eu_aqi_bands`));
console.log(await q(`SELECT * FROM read_csv('sql/seeds/dim_pollutant.csv', header=true)`));
await c.run(`CREATE TABLE input AS SELECT 'L1' AS location_id, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) HOUR AS ts_utc, p AS pollutant, v AS value, 'μg/m³' AS unit
  FROM range(30) t(i), (VALUES ('pm2_5', 35.9), ('ozone', 0.078*1000*48/24.45), ('carbon_monoxide', 8.4*1000*28.01/24.45)) AS x(p, v)`);
const sql = await loadSqlModel('sql/air_quality/gold.aqi_hourly.sql', { us_aqi_pm25_table: '2024' });
const rows = await q(sql + ' ORDER BY ts_utc');
console.log(rows.slice(-2));
