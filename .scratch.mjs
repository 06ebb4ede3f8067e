import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const q = async (s) => { const r = await c.runAndReadAll(s); return r.getRowObjectsJS(); };
console.log(await q(`select CASE WHEN json_valid(u) THEN json_extract_string(u, '$.' || p) END v from (values ('{"pm2_5":"ug/m3","uv_index":""}', 'pm2_5'), ('{"pm2_5":"ug/m3","uv_index":""}', 'uv_index'), ('{"pm2_5":"ug/m3"}', 'ozone'), (NULL, 'ozone'), ('not json', 'ozone'), ('[1]', 'ozone'), ('{"ozone": 5}', 'ozone')) t(u,p)`).catch(e=>e.message));
