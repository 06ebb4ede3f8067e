// Fault: an operator's SQL fails in DuckDB at run time. A live edit of the running service's Silver
// model casts location_id to INTEGER: it renders and validates (validation cannot know the data), and
// DuckDB fails on the first batch ("Could not convert string 'hcmc' to INT32"). The service must stay
// up, say on /readyz which operator fails and why, retry the batch with growing back-off (counted in
// strata_operator_failures_total) without dropping or dead-lettering it, and once the SQL is fixed
// (another live edit) finish with every table equal to an uninterrupted run: no loss, no duplicate.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Reading } from '../src/sources/open-meteo/types.ts';
import { freshName, query, requireBroker, startStrata, testConfig, waitFor, type StrataProcess } from './support/kafka.ts';
import { assertBackoff, converge, fetchReadings, projectCopy, publish, readyz, reference, retries, snapshot, visibleTemporaries } from './support/faults.ts';

const procs: StrataProcess[] = [];
let readings: Reading[];

before(async () => {
  await requireBroker();
  readings = await fetchReadings(['hcmc', 'amsterdam', 'new_york'], '2024-03-08', '2024-03-11');
});

after(() => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

test('operator SQL failing in DuckDB at run time: service up, not ready naming operator and error, retried with back-off, nothing lost once fixed', { timeout: 300_000 }, async (t) => {
  const project = await projectCopy();
  const prefix = freshName('sqlfault');
  const { file: config, warehouse } = await testConfig({ prefix, topologies: [project.topology] });
  const topic = `${prefix}strata.open_meteo.readings`;
  const ref = await reference(project.topology, readings);
  const half = readings.findIndex((r) => r.location_id === 'amsterdam');
  const [early, late] = [readings.slice(0, half), readings.slice(half)];

  await publish(topic, early);
  const svc = await startStrata(config);
  procs.push(svc);
  await waitFor('the first readings in bronze', () => (count(config, 'bronze.open_meteo_air_quality') === early.length ? true : undefined), 90_000, 500);

  // A live edit that validates but fails at execution: wrap the model, casting a text id to INTEGER.
  const model = join(project.dir, 'sql/air_quality/silver.air_quality_hourly.sql');
  const good = await readFile(model, 'utf8');
  await writeFile(model, `SELECT * REPLACE (CAST(location_id AS INTEGER) AS location_id) FROM (\n${good.replace(/;\s*$/, '')}\n)\n`);
  await waitFor('the edit applied', async () => ((await svc.metric('strata_config_reloads_total', /result="applied"/)) >= 1 ? true : undefined), 30_000);
  await waitFor('the restarted topology up', async () => ((await svc.metric('strata_topology_up', /air_quality/)) === 1 ? true : undefined), 30_000);
  const silverBefore = count(config, 'silver.air_quality_hourly');
  await publish(topic, late);

  const notReady = await waitFor('/readyz to name the failing operator', async () => {
    const r = await readyz(svc);
    return r?.status === 503 && r.failing.some((f) => f.startsWith('topology:air_quality: operator silver failing')) ? r : undefined;
  }, 90_000, 300);
  const line = notReady.failing.find((f) => f.startsWith('topology:air_quality:'))!;
  assert.match(line, /on batch kafka-/, 'names the batch');
  assert.match(line, /Conversion Error: Could not convert string '[a-z_]+' to INT32/, "carries DuckDB's error");
  assert.match(line, /silver\.air_quality_hourly\.sql/, 'names the model file');
  assert.match(line, /the batch is held, not dropped/);
  t.diagnostic(`/readyz: ${line.slice(0, 300)}`);

  // Retried with growing back-off while the service stays up; counted per operator and cause.
  await waitFor('4 attempts', () => (retries(svc, 'silver').length >= 4 ? true : undefined), 60_000, 300);
  assertBackoff(retries(svc, 'silver'), 4);
  assert.ok(retries(svc, 'silver').every((r) => r.cause === 'operator'));
  assert.ok((await svc.metric('strata_operator_failures_total', /operator="silver",cause="operator"/)) >= 4);
  assert.equal(await svc.metric('strata_operator_failures_total', /cause="warehouse"/), 0);
  assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  assert.equal(svc.child.exitCode, null, 'the service is up');
  assert.equal((await readyz(svc))?.status, 503, 'still not ready while the SQL is broken');
  assert.equal(count(config, 'silver.air_quality_hourly'), silverBefore, 'nothing of the failing batch reached silver');
  assert.equal(count(config, 'bronze.dead_letters'), 0, 'good records are never dead-lettered for a SQL bug');

  // The fix (another live edit): the held batch is re-delivered to the new version and commits.
  await writeFile(model, good);
  await waitFor('/readyz ready again', async () => ((await readyz(svc))?.status === 200 ? true : undefined), 90_000, 300);
  await converge(warehouse, ref, 'the tables to equal the reference run');
  assert.match(svc.stderr(), /"batch recovered after failed attempts"|"topology changed: draining the running version at a batch boundary"/);
  svc.child.kill('SIGTERM');
  assert.equal(await svc.exited(), 0, svc.stderr().slice(-2000));

  const got = await snapshot(warehouse);
  for (const [table, rows] of Object.entries(ref)) assert.deepEqual(got[table], rows, `${table} equals the uninterrupted run`);
  assert.equal(count(config, 'bronze.open_meteo_air_quality'), readings.length, 'every reading once in bronze');
  assert.equal(count(config, 'bronze.dead_letters'), 0);
  assert.deepEqual(await visibleTemporaries(warehouse), []);
});

/** Rows of a table (0 when it does not exist yet). */
function count(config: string, table: string): number {
  const r = query<{ n: number }>(config, `SELECT count(*) AS n FROM ${table}`);
  return r.length ? Number(r[0]!.n) : 0;
}
