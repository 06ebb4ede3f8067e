/** The taxi topology file and the `tlc` source's config checks (schema + src/config/topology.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import { ConfigError } from '../src/core/errors.ts';
import { describeTopology } from '../src/runtime/describe.ts';
import { tlcSettings } from '../src/sources/tlc/settings.ts';
import { expandPatterns } from '../src/core/globs.ts';

const TAXI = fileURLToPath(new URL('../topologies/taxi.yaml', import.meta.url));

test('topologies/taxi.yaml loads; its embedded default reads the samples copied into samples/taxi', async () => {
  const t = await loadTopology(TAXI);
  assert.equal(t.spec.name, 'taxi');
  const src = t.spec.sources.trips!;
  assert.equal(src.type, 'tlc');
  const files = expandPatterns(t.baseDir, src.type === 'tlc' ? src.files ?? [] : []).map((f) => f.split('/').pop());
  assert.deepEqual(files, ['yellow_tripdata_2025-01_head.parquet', 'yellow_tripdata_2020-07_head.csv']);
  assert.match(describeTopology(t), /source {3}trips: tlc\(\.\.\/samples\/taxi\/\*\.parquet, \.\.\/samples\/taxi\/\*\.csv, batch_rows=1000000, when embedded\)/);
});

test('service config: tlc.base_url defaults to the TLC host; STRATA_TLC_BASE_URL overrides it', async () => {
  const cfg = await loadServiceConfig(undefined, {});
  assert.equal(cfg.tlc.base_url, 'https://d37ci6vzurychx.cloudfront.net');
  assert.equal(tlcSettings().base_url, cfg.tlc.base_url);
  assert.equal(cfg.tlc.retries, 4);
  assert.equal((await loadServiceConfig(undefined, { STRATA_TLC_BASE_URL: 'http://127.0.0.1:9/x' })).tlc.base_url, 'http://127.0.0.1:9/x');
});

test('a tlc source: needs files or months; a glob must match; months are YYYY-MM; unknown keys are refused', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-tlc-cfg-'));
  await mkdir(join(root, 'topologies'));
  await mkdir(join(root, 'data'));
  await mkdir(join(root, 'sql'));
  await writeFile(join(root, 'data', 'yellow_tripdata_2020-07.csv'), 'x\n');
  await writeFile(join(root, 'sql', 'm.sql'), 'SELECT * FROM input');
  const write = async (name: string, source: string): Promise<string> => {
    const file = join(root, 'topologies', `${name}.yaml`);
    await writeFile(file, `name: t\nsources:\n  trips:\n${source}operators:\n  bronze: { type: bronze, inputs: [trips], table: bronze.t, partition_by: date, partition_expr: CAST(pickup_datetime AS DATE) }\n`);
    return file;
  };
  const problems = async (file: string): Promise<string[]> => {
    try {
      await loadTopology(file);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.problems.map((p) => `${p.line}:${p.col} ${p.reason}`);
    }
  };
  assert.deepEqual(await problems(await write('ok', '    type: tlc\n    files: [../data/*.csv]\n    months: [\'2025-01\']\n')), []);
  assert.deepEqual(await problems(await write('empty', '    type: tlc\n    color: green\n')), ['3:3 sources.trips: a tlc source needs "files" or "months"']);
  assert.deepEqual(await problems(await write('nomatch', '    type: tlc\n    files: [../data/*.parquet]\n')), [`5:13 sources.trips.files: no file matches "../data/*.parquet" (in ${join(root, 'data')})`]);
  assert.deepEqual(await problems(await write('missing', '    type: tlc\n    files: [../data/green_tripdata_2020-07.csv]\n')), [`5:13 sources.trips.files.0: trip file not found: ${join(root, 'data', 'green_tripdata_2020-07.csv')}`]);
  assert.match((await problems(await write('escape', '    type: tlc\n    files: [../../elsewhere/*.csv]\n')))[0] ?? '', /leaves the project root/);
  assert.match((await problems(await write('month', "    type: tlc\n    months: ['2025-13']\n")))[0] ?? '', /^5:\d+ sources\.trips\.months\.0: invalid value/);
  assert.match((await problems(await write('color', "    type: tlc\n    months: ['2025-01']\n    color: red\n")))[0] ?? '', /sources\.trips\.color: value not allowed \(expected one of: yellow, green\)/);
  assert.match((await problems(await write('unknown', "    type: tlc\n    months: ['2025-01']\n    url: x\n")))[0] ?? '', /sources\.trips: unknown property "url"/);
});

test('strata validate renders each SQL model: a missing include is a problem at its sql key', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-tlc-cfg-'));
  await mkdir(join(root, 'topologies'));
  await mkdir(join(root, 'sql'));
  await writeFile(join(root, 'sql', 'm.sql'), "WITH\n{{ include('rules.sql') }}\nSELECT * FROM checked");
  const file = join(root, 'topologies', 't.yaml');
  await writeFile(file, "name: t\nsources:\n  s: { type: tlc, months: ['2025-01'] }\noperators:\n  b: { type: bronze, inputs: [s], table: bronze.t, partition_by: date, partition_expr: CAST(pickup_datetime AS DATE) }\n  m:\n    type: sql\n    inputs: [b]\n    sql: ../sql/m.sql\n    materialize: { mode: append, table: silver.t }\n");
  await assert.rejects(loadTopology(file), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 1);
    assert.equal(`${err.problems[0]!.line}:${err.problems[0]!.col}`, '9:10');
    assert.match(err.problems[0]!.reason, /^operators\.m\.sql: .*m\.sql:2: include\('rules\.sql'\): cannot read .*rules\.sql \(ENOENT\)$/);
    return true;
  });
  await writeFile(join(root, 'sql', 'rules.sql'), 'checked AS (SELECT * FROM input)');
  assert.equal((await loadTopology(file)).spec.name, 't');
});
