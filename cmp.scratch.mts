import { openDuckDB } from './src/engines/duckdb/instance.ts';
import { Warehouse } from './src/warehouse/warehouse.ts';
for (const wh of ['/tmp/whA', '/tmp/whB']) {
  const db = await openDuckDB(); const c = await db.connect();
  await new Warehouse(wh).attachViews(c);
  for (const t of ['gold.aqi_hourly', 'gold.aqi_daily', 'gold.dim_location', 'silver.air_quality_hourly']) {
    const r = await c.runAndReadAll(`SELECT count(*) FROM ${t}`);
    const d = await c.runAndReadAll(`DESCRIBE ${t}`);
    console.log(wh, t, JSON.stringify(r.getRowsJson()), d.getRowsJson().map(x => `${x[0]}:${x[1]}`).join(' '));
  }
  const r = await c.runAndReadAll(`SELECT * FROM gold.aqi_daily ORDER BY location_id, date_local LIMIT 3`);
  console.log(JSON.stringify(r.getRowObjectsJson()));
}
