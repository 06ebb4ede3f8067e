/**
 * `strata validate FILE…` and the config loaders.
 *
 * The CLI is run for real (`node bin/strata.mjs validate …`, cwd = the project root) against one small
 * bad file per mistake under test/fixtures/topologies/ (test/fixtures/config/ for the service config).
 * Each fixture is test/fixtures/topologies/ok.yaml (which validates) with one mistake, so the expected
 * output is exactly one `file:line:col reason` line per problem, at the exact position of the mistake.
 * The fixtures' files live under test/fixtures/ because a topology's paths may not leave the parent of
 * its folder (here test/fixtures).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../src/core/errors.ts';
import { loadServiceConfig } from '../src/config/service.ts';
import { executionOrder, loadTopology } from '../src/config/topology.ts';
import type { TopologySpec } from '../src/components/topology.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIX = 'test/fixtures/topologies';
const SHIPPED_TOPOLOGY = fileURLToPath(new URL('../topologies/air_quality.yaml', import.meta.url));
const SHIPPED_CONFIG = fileURLToPath(new URL('../config/default.yaml', import.meta.url));

/** The environment without STRATA_* variables, so the developer's shell cannot change the results. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRATA_')) env[k] = v;
  return { ...env, ...extra };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function strataValidate(...files: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/strata.mjs', 'validate', ...files], { cwd: ROOT, env: cleanEnv(), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface Expected {
  line: number;
  col: number;
  /** Words (or patterns) the reason must contain. */
  words: (string | RegExp)[];
}

const LINE = /^(?<file>.+?):(?<line>\d+):(?<col>\d+) (?<reason>.+)$/;

/** Runs `strata validate file` and checks: exit 1, nothing on stderr, exactly `expected` lines, in order. */
async function expectProblems(file: string, expected: Expected[]): Promise<void> {
  const r = await strataValidate(file);
  const lines = r.stdout.trimEnd().split('\n');
  const shown = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  assert.equal(r.code, 1, `exit code\n${shown}`);
  assert.equal(r.stderr, '', shown);
  assert.equal(lines.length, expected.length, `one line per problem\n${shown}`);
  expected.forEach((want, i) => {
    const m = LINE.exec(lines[i]!);
    assert.ok(m?.groups, `not file:line:col reason: ${lines[i]}`);
    const g = m.groups;
    assert.equal(g.file, file, lines[i]);
    assert.deepEqual({ line: Number(g.line), col: Number(g.col) }, { line: want.line, col: want.col }, lines[i]);
    for (const w of want.words) {
      if (typeof w === 'string') assert.ok(g.reason!.includes(w), `reason lacks "${w}": ${lines[i]}`);
      else assert.match(g.reason!, w, lines[i]);
    }
  });
}

describe('strata validate (CLI)', { concurrency: Math.max(2, availableParallelism()) }, () => {
  test('the shipped topology and service config: "<file>: ok", exit 0', async () => {
    const r = await strataValidate('topologies/air_quality.yaml', 'config/default.yaml');
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'topologies/air_quality.yaml: ok\nconfig/default.yaml: ok\n');
    assert.equal(r.code, 0);
  });

  test('the fixture baseline (ok.yaml) is valid, so each bad fixture fails only for its one mistake', async () => {
    const r = await strataValidate(`${FIX}/ok.yaml`);
    assert.equal(r.stdout, `${FIX}/ok.yaml: ok\n`);
    assert.equal(r.code, 0);
  });

  test('1. unknown operator type (type: sqll) → the type value', () =>
    expectProblems(`${FIX}/unknown-operator-type.yaml`, [
      { line: 14, col: 11, words: ['operators.silver.type', 'unknown operator type', 'bronze, sql'] },
    ]));

  test('2. dangling input → the input in the list', () =>
    expectProblems(`${FIX}/dangling-input.yaml`, [
      { line: 15, col: 14, words: ['operators.silver.inputs', 'dangling input', '"bronz"'] },
    ]));

  test('3. cycle between two sql operators → the first operator of the cycle', () =>
    expectProblems(`${FIX}/cycle.yaml`, [{ line: 7, col: 3, words: ['operators.first', 'cycle', 'first → second → first'] }]));

  test('4a. wrong type: inputs as a string → the value', () =>
    expectProblems(`${FIX}/wrong-type-inputs.yaml`, [
      { line: 15, col: 13, words: ['operators.silver.inputs', 'wrong type', 'array'] },
    ]));

  test('4b. wrong type: past_days: "two" → the value', () =>
    expectProblems(`${FIX}/wrong-type-past-days.yaml`, [
      { line: 6, col: 16, words: ['sources.readings.past_days', 'wrong type', 'integer'] },
    ]));

  test('5. missing SQL file → the sql value, with the resolved path', () =>
    expectProblems(`${FIX}/missing-sql.yaml`, [
      { line: 16, col: 10, words: ['operators.silver.sql', 'SQL file not found', `${ROOT}test/fixtures/sql/no_such_model.sql`] },
    ]));

  test('6. YAML syntax error (bad indentation) → the misindented key', () =>
    expectProblems(`${FIX}/yaml-syntax.yaml`, [{ line: 10, col: 6, words: [/mapping items must start at the same column/i] }]));

  test('7. unknown property (materialise:) → the key; the then-missing materialize → its operator', () =>
    expectProblems(`${FIX}/unknown-property.yaml`, [
      { line: 14, col: 5, words: ['operators.silver', 'missing required property "materialize"'] },
      { line: 17, col: 5, words: ['operators.silver', 'unknown property "materialise"'] },
    ]));

  test('8. a path leaving the project root → the path value', () =>
    expectProblems(`${FIX}/path-escape.yaml`, [
      { line: 16, col: 10, words: ['operators.silver.sql', '"../../../../etc/passwd"', 'leaves the project root', `${ROOT}test/fixtures`] },
    ]));

  test('9a. upsert without key → the materialize block', () =>
    expectProblems(`${FIX}/upsert-without-key.yaml`, [
      { line: 18, col: 7, words: ['operators.silver.materialize', 'upsert needs "key"'] },
    ]));

  test('9b. recompute whose input is a source → the input', () =>
    expectProblems(`${FIX}/recompute-from-source.yaml`, [
      { line: 9, col: 14, words: ['operators.daily.inputs', 'recompute', '"readings" is a source'] },
    ]));

  test('10a. invalid cron (hour 25) → the cron value, naming the field', () =>
    expectProblems(`${FIX}/bad-cron.yaml`, [
      { line: 7, col: 13, words: ['sources.readings.schedule.cron', 'invalid cron "0 25 * * *"', 'hour field "25"', '0-23'] },
    ]));

  test('10b. unknown time zone → the timezone value', () =>
    expectProblems(`${FIX}/bad-timezone.yaml`, [
      { line: 8, col: 17, words: ['sources.readings.schedule.timezone', 'unknown time zone "Asia/Saigon_City"'] },
    ]));

  test('11. several problems at once: every one, one line each, sorted by line then column', () =>
    expectProblems(`${FIX}/several-problems.yaml`, [
      { line: 6, col: 14, words: ['sinks.summary.inputs', 'dangling input "gold_nowhere"'] },
      { line: 10, col: 16, words: ['sources.readings.locations', 'locations file not found', 'no_such_locations.jsonl'] },
      { line: 11, col: 23, words: ['sources.readings.schedule.cron', 'invalid cron "61 * * * *"', 'minute field "61"', '0-59'] },
      { line: 11, col: 47, words: ['sources.readings.schedule.timezone', 'unknown time zone "Mars/Olympus"'] },
      { line: 22, col: 10, words: ['operators.silver.sql', 'SQL file not found', 'missing.sql'] },
      { line: 23, col: 18, words: ['operators.silver.materialize', 'upsert needs "key"'] },
      { line: 26, col: 14, words: ['operators.gold.inputs', 'dangling input "silverr"'] },
    ]));

  test('12. bad service config (port: "x", unknown key) → file:line:col, sorted', () =>
    expectProblems('test/fixtures/config/bad-service.yaml', [
      { line: 6, col: 9, words: ['metrics.port', 'wrong type', 'integer'] },
      { line: 7, col: 3, words: ['metrics', 'unknown property "enabeld"'] },
    ]));

  test('several files: ok for the good ones, problems for the bad ones, exit 1; a missing file is a problem', async () => {
    const r = await strataValidate('topologies/air_quality.yaml', `${FIX}/cycle.yaml`, `${FIX}/no-such-file.yaml`, 'config/default.yaml');
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'topologies/air_quality.yaml: ok',
      `${FIX}/cycle.yaml:7:3 operators.first: cycle first → second → first`,
      `${FIX}/no-such-file.yaml:1:1 file not found`,
      'config/default.yaml: ok',
    ]);
    assert.equal(r.code, 1);
  });
});

describe('loadTopology', () => {
  test('the shipped topology: sources, then every node after its inputs; dim_location before aqi_daily', async () => {
    const t = await loadTopology(SHIPPED_TOPOLOGY);
    assert.equal(t.spec.name, 'air_quality');
    assert.equal(t.file, SHIPPED_TOPOLOGY);
    assert.equal(t.baseDir, fileURLToPath(new URL('../topologies', import.meta.url)));
    assert.deepEqual(t.order, ['readings', 'readings_kafka', 'bronze', 'dim_location', 'silver', 'silver_rejected', 'aqi_hourly', 'aqi_daily', 'summary']);

    const pos = (n: string): number => t.order.indexOf(n);
    const nodes = { ...t.spec.sources, ...t.spec.operators, ...t.spec.sinks };
    assert.equal(t.order.length, Object.keys(nodes).length);
    for (const [name, node] of Object.entries({ ...t.spec.operators, ...t.spec.sinks })) {
      for (const input of node.inputs) assert.ok(pos(input) < pos(name), `${input} before ${name}`);
    }
    // aqi_daily reads gold.dim_location as a relation: its writer runs first.
    assert.ok(pos('dim_location') < pos('aqi_daily'));
    // Schema defaults are filled in.
    const readings = t.spec.sources.readings!;
    assert.equal(readings.type === 'open_meteo' && readings.schedule?.overlap, 'skip');
  });

  test('the relation dependency orders nodes, not file order: dim_location declared last still runs before aqi_daily', async () => {
    const { spec } = await loadTopology(SHIPPED_TOPOLOGY);
    const { dim_location, ...rest } = spec.operators;
    const reordered: TopologySpec = { ...spec, operators: { ...rest, dim_location: dim_location! } };
    assert.deepEqual(Object.keys(reordered.operators).at(-1), 'dim_location');
    const order = executionOrder(reordered);
    assert.ok(order.indexOf('dim_location') < order.indexOf('aqi_daily'), order.join(' '));
    assert.ok(order.indexOf('bronze') < order.indexOf('dim_location'), order.join(' '));
  });

  test('a bad topology throws ConfigError with every problem, sorted by line then column', async () => {
    const file = `${ROOT}${FIX}/several-problems.yaml`;
    await assert.rejects(loadTopology(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.deepEqual(err.problems.map((p) => [p.line, p.col]), [[6, 14], [10, 16], [11, 23], [11, 47], [22, 10], [23, 18], [26, 14]]);
      assert.ok(err.problems.every((p) => p.file === file));
      assert.equal(err.message.split('\n').length, 7);
      return true;
    });
  });

  test('a YAML syntax error throws ConfigError at the error position', async () => {
    await assert.rejects(loadTopology(`${ROOT}${FIX}/yaml-syntax.yaml`), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.deepEqual(err.problems.map((p) => [p.line, p.col]), [[10, 6]]);
      return true;
    });
  });
});

describe('loadServiceConfig', () => {
  test('the shipped config with no environment overrides', async () => {
    const cfg = await loadServiceConfig(SHIPPED_CONFIG, cleanEnv());
    assert.equal(cfg.file, SHIPPED_CONFIG);
    assert.equal(cfg.service.warehouse, './warehouse');
    assert.equal(cfg.metrics.port, 9464);
    assert.deepEqual(cfg.kafka.brokers, []);
    assert.equal(cfg.open_meteo.base_url, 'https://air-quality-api.open-meteo.com');
    assert.equal(cfg.kafka.client_id, 'strata'); // schema default
  });

  test('STRATA_WAREHOUSE, STRATA_METRICS_PORT, STRATA_KAFKA_BROKERS, STRATA_OPEN_METEO_BASE_URL override the file', async () => {
    const cfg = await loadServiceConfig(
      SHIPPED_CONFIG,
      cleanEnv({
        STRATA_WAREHOUSE: '/tmp/strata-wh',
        STRATA_METRICS_PORT: '19464',
        STRATA_KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092,',
        STRATA_OPEN_METEO_BASE_URL: 'http://127.0.0.1:8089',
      }),
    );
    assert.equal(cfg.service.warehouse, '/tmp/strata-wh');
    assert.equal(cfg.metrics.port, 19464);
    assert.deepEqual(cfg.kafka.brokers, ['kafka-1:9092', 'kafka-2:9092']);
    assert.equal(cfg.open_meteo.base_url, 'http://127.0.0.1:8089');
    // Untouched values keep the file's.
    assert.equal(cfg.open_meteo.timeout_ms, 15000);
    assert.equal(cfg.metrics.host, '127.0.0.1');
  });

  test('an empty STRATA_KAFKA_BROKERS means no broker', async () => {
    const cfg = await loadServiceConfig(SHIPPED_CONFIG, cleanEnv({ STRATA_KAFKA_BROKERS: '' }));
    assert.deepEqual(cfg.kafka.brokers, []);
  });

  for (const bad of ['x', '80a', '70000', '1.5']) {
    test(`a STRATA_METRICS_PORT of "${bad}" is rejected with a clear error`, async () => {
      await assert.rejects(loadServiceConfig(SHIPPED_CONFIG, cleanEnv({ STRATA_METRICS_PORT: bad })), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /STRATA_METRICS_PORT/);
        assert.ok(err.message.includes(`not a port number: "${bad}"`), err.message);
        return true;
      });
    });
  }

  test('a bad service file throws ConfigError with file:line:col, sorted', async () => {
    const file = `${ROOT}test/fixtures/config/bad-service.yaml`;
    await assert.rejects(loadServiceConfig(file, cleanEnv()), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.deepEqual(
        err.problems.map((p) => `${p.line}:${p.col}`),
        ['6:9', '7:3'],
      );
      assert.ok(err.message.startsWith(`${file}:6:9 metrics.port: wrong type`), err.message);
      return true;
    });
  });
});
