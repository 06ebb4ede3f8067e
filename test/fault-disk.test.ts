// Fault: the warehouse disk fills up, then turns read-only, while `strata run` streams from Kafka.
// Real OS errors (see test/support/disk.ts: a tmpfs filled to ENOSPC and remounted ro when mount
// works, else RLIMIT_FSIZE/EFBIG). For each fault: the service stays up, /readyz says the warehouse
// write fails with the OS error and path, the batch is retried with growing back-off (counted in
// strata_operator_failures_total{cause="warehouse"}), and after the fault clears the stream goes on.
// At the end every table equals an uninterrupted run (no loss, no duplicate) and no temporary file
// is visible to readers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Reading } from '../src/sources/open-meteo/types.ts';
import { diskFaults } from './support/disk.ts';
import { freshName, query, requireBroker, startStrata, testConfig, waitFor, type StrataProcess } from './support/kafka.ts';
import { assertBackoff, converge, fetchReadings, projectCopy, publish, readyz, reference, retries, snapshot, visibleTemporaries } from './support/faults.ts';

const procs: StrataProcess[] = [];
const releases: (() => Promise<void>)[] = [];
let readings: Reading[];

before(async () => {
  await requireBroker();
  readings = await fetchReadings(['hcmc', 'amsterdam', 'new_york'], '2024-03-08', '2024-03-11');
});

after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const r of releases) await r();
});

test('warehouse disk full, then read-only, under a running service: not ready with the OS error, retried, nothing lost or duplicated after it clears', { timeout: 600_000 }, async (t) => {
  const project = await projectCopy();
  const warehouse = join(project.dir, 'warehouse');
  const disk = await diskFaults(warehouse);
  releases.push(disk.release);
  t.diagnostic(`fault mechanism: ${disk.mechanism}; faults: ${disk.faults.map((f) => `${f.name} (${f.code})`).join(', ')}`);
  const prefix = freshName('diskfault');
  const { file: config } = await testConfig({ prefix, topologies: [project.topology], warehouse });
  const topic = `${prefix}strata.open_meteo.readings`;
  const ref = await reference(project.topology, readings);

  // One wave before the faults, then one per fault: each lands only after its fault clears.
  const waves: Reading[][] = [];
  const size = Math.ceil(readings.length / (disk.faults.length + 1));
  for (let i = 0; i < readings.length; i += size) waves.push(readings.slice(i, i + size));
  await publish(topic, waves[0]!);
  const svc = await startStrata(config);
  procs.push(svc);
  let landed = waves[0]!.length;
  await waitFor('the first wave committed', async () => (count(config) === landed && (await svc.metric('strata_consumer_commits_total', /result="ok"/)) >= 1 ? true : undefined), 90_000, 500);

  for (const [i, fault] of disk.faults.entries()) {
    const failuresBefore = await svc.metric('strata_operator_failures_total', /cause="warehouse"/);
    const logged = retries(svc, 'bronze').length;
    const attempts = (): ReturnType<typeof retries> => retries(svc, 'bronze').slice(logged);
    await fault.inject(svc.child.pid!);
    await publish(topic, waves[i + 1]!);

    const notReady = await waitFor(`${fault.name}: /readyz to report the failing write`, async () => {
      const r = await readyz(svc);
      return r?.status === 503 && r.failing.some((f) => f.startsWith('warehouse: ')) ? r : undefined;
    }, 90_000, 300);
    const line = notReady.failing.find((f) => f.startsWith('warehouse: '))!;
    assert.match(line, fault.expect, `${fault.name}: the OS error`);
    assert.match(line, new RegExp(`\\[${fault.code}\\]`), `${fault.name}: the error code`);
    assert.ok(line.includes(warehouse), `${fault.name}: the path (${line})`);
    assert.ok(notReady.failing.some((f) => /^topology:air_quality: operator \w+ failing on batch kafka-/.test(f)), 'the topology names the operator and batch');
    t.diagnostic(`${fault.name}: ${line.slice(0, 400)}`);

    await waitFor(`${fault.name}: 4 attempts`, () => (attempts().length >= 4 ? true : undefined), 60_000, 300);
    assertBackoff(attempts(), 4);
    assert.ok(attempts().every((r) => r.cause === 'warehouse'));
    assert.ok((await svc.metric('strata_operator_failures_total', /operator="bronze",cause="warehouse"/)) - failuresBefore >= 4);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'alive');
    assert.equal(svc.child.exitCode, null, 'the service is up');
    assert.equal(count(config), landed, `${fault.name}: nothing of the held batch is visible`);

    await fault.clear(svc.child.pid!);
    landed += waves[i + 1]!.length;
    await waitFor(`${fault.name}: the held batch committed after the fault cleared`, () => (count(config) === landed ? true : undefined), 90_000, 500);
    await waitFor(`${fault.name}: /readyz ready again`, async () => ((await readyz(svc))?.status === 200 ? true : undefined), 90_000, 300);
  }

  await converge(warehouse, ref, 'the tables to equal the reference run');
  svc.child.kill('SIGTERM');
  assert.equal(await svc.exited(), 0, svc.stderr().slice(-2000));
  assert.match(svc.stderr(), /"batch recovered after failed attempts"/);
  const got = await snapshot(warehouse);
  for (const [table, rows] of Object.entries(ref)) assert.deepEqual(got[table], rows, `${table} equals the uninterrupted run`);
  assert.equal(count(config), readings.length, 'every reading once in bronze');
  assert.deepEqual(await visibleTemporaries(warehouse), [], 'temporary files visible to readers');
});

function count(config: string): number {
  const r = query<{ n: number }>(config, 'SELECT count(*) AS n FROM bronze.open_meteo_air_quality');
  return r.length ? Number(r[0]!.n) : 0;
}
