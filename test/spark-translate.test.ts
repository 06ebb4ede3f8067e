/**
 * The Spark side without Spark: the DuckDB → Spark SQL translation (on every shipped model and on
 * each rewrite rule), the job plans of both shipped topologies, the spark-submit command line made
 * from the service config, how spark-submit's output is read (a stand-in script), --engine auto, and
 * the configuration errors (no spark-submit, no Hadoop config).
 * test/spark-yarn.test.ts runs the same plans on a real Spark and YARN.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadServiceConfig } from '../src/config/service.ts';
import { loadTopology } from '../src/config/topology.ts';
import { renderSql } from '../src/duckdb/sql-template.ts';
import { planSparkJob } from '../src/backfill/spark/plan.ts';
import { findSparkSubmit, resourceManagerUrl, SparkError, sparkSubmit, sparkSubmitCommand, totalCores } from '../src/spark/submit.ts';
import { TranslateError, translateModel, translateToSpark } from '../src/spark/translate.ts';
import { SqlOperator } from '../src/operators/sql/sql.ts';
import { chooseEngine } from '../src/backfill/plan.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const t = (sql: string): string => translateToSpark(sql).replace(/\s+/g, ' ').trim();

describe('translation rules', () => {
  test('literals and identifiers: Spark reads backslash escapes, DuckDB does not', () => {
    assert.equal(t("SELECT 'it''s', 'a\\b', 'μg/m³'"), "SELECT 'it\\'s', 'a\\\\b', 'μg/m³'");
    assert.equal(t('SELECT "Zone Name" FROM t'), 'SELECT `Zone Name` FROM t');
    assert.equal(t("SELECT DATE '2024-01-01', INTERVAL '1' DAY"), "SELECT DATE '2024-01-01', INTERVAL '1' DAY");
    assert.equal(t("SELECT TIMESTAMP '2024-01-01 00:00:00'"), "SELECT TIMESTAMP_NTZ '2024-01-01 00:00:00'");
  });

  test('comments go, line numbers stay (Spark errors point at the model file\'s line)', () => {
    const out = translateToSpark("SELECT 1 -- it's\n/* a\nb */ + 2");
    assert.equal(out.split('\n').length, 3);
    assert.doesNotMatch(out, /it's|a\nb/);
  });

  test('casts: types mapped; integer casts round the way DuckDB does', () => {
    assert.equal(t('SELECT CAST(x AS VARCHAR), CAST(x AS TEXT), CAST(x AS STRING)'), 'SELECT CAST(x AS STRING), CAST(x AS STRING), CAST(x AS STRING)');
    assert.equal(t('SELECT CAST(x AS TIMESTAMP), CAST(x AS DATE), CAST(x AS DOUBLE)'), 'SELECT CAST(x AS TIMESTAMP_NTZ), CAST(x AS DATE), CAST(x AS DOUBLE)');
    assert.equal(t('SELECT CAST(x AS DECIMAL(18, 2)), CAST(x AS NUMERIC), CAST(x AS DECIMAL(10))'), 'SELECT CAST(x AS DECIMAL(18, 2)), CAST(x AS DECIMAL(18, 3)), CAST(x AS DECIMAL(10, 0))');
    // Already integral: a plain cast.
    assert.equal(t('SELECT CAST(FLOOR(x / 3600) AS BIGINT), CAST(ROUND(x) AS INTEGER), CAST(EXTRACT(HOUR FROM ts) AS INTEGER), CAST(7 AS BIGINT)'),
      'SELECT CAST(FLOOR(x / 3600) AS BIGINT), CAST(ROUND(x) AS INT), CAST(EXTRACT(HOUR FROM ts) AS INT), CAST(7 AS BIGINT)');
    // Anything else: DuckDB rounds (half-even from DOUBLE, half away from zero from DECIMAL); Spark truncates.
    assert.equal(t('SELECT CAST(a - b AS BIGINT)'), "SELECT CAST(CASE WHEN typeof(a - b) IN ('double', 'float') THEN bround(a - b) ELSE round(a - b) END AS BIGINT)");
    assert.equal(t('SELECT CAST(ROUND(x, 2) AS INT)'), "SELECT CAST(CASE WHEN typeof(ROUND(x, 2)) IN ('double', 'float') THEN bround(ROUND(x, 2)) ELSE round(ROUND(x, 2)) END AS INT)");
    assert.equal(t('SELECT TRY_CAST(s AS INTEGER)'), "SELECT try_cast(CASE WHEN typeof(s) IN ('double', 'float') THEN bround(s) ELSE round(s) END AS INT)");
  });

  test('functions with another name, argument or meaning in Spark', () => {
    assert.equal(t('SELECT AVG(fare)'), 'SELECT AVG(CAST(fare AS DOUBLE))');
    assert.equal(t("SELECT CONCAT(a, '|', b)"), "SELECT concat_ws('', CAST(a AS STRING), CAST('|' AS STRING), CAST(b AS STRING))");
    assert.equal(t('SELECT epoch(ts)'), 'SELECT (unix_micros(CAST(ts AS TIMESTAMP_LTZ)) / 1e6)');
    assert.equal(t("SELECT timezone(tz, ts AT TIME ZONE 'UTC')"), 'SELECT from_utc_timestamp(ts, tz)');
    assert.equal(t('SELECT json_valid(u)'), 'SELECT (CASE WHEN (u) IS NULL THEN NULL ELSE try_parse_json(u) IS NOT NULL END)');
    assert.equal(t("SELECT json_extract_string(u, '$.' || p), json_extract_string(u, '$.a[0]')"), "SELECT get_json_object(u, '$.' || p), get_json_object(u, '$.a[0]')");
    assert.equal(t("SELECT regexp_extract(s, 'a(b)'), regexp_extract(s, 'a(b)', 1)"), "SELECT regexp_extract(s, 'a(b)', 0), regexp_extract(s, 'a(b)', 1)");
    assert.equal(t("SELECT regexp_matches(s, 'x'), starts_with(s, 'y')"), "SELECT regexp_like(s, 'x'), startswith(s, 'y')");
    // Nested rewrites.
    assert.equal(t('SELECT CAST(epoch(b) - epoch(a) AS BIGINT)').includes('bround((unix_micros(CAST(b AS TIMESTAMP_LTZ)) / 1e6) - (unix_micros(CAST(a AS TIMESTAMP_LTZ)) / 1e6))'), true);
    // Same in both: passed through, windows and all.
    assert.equal(t('SELECT COUNT(*), count(DISTINCT x), ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST) FROM t'),
      'SELECT COUNT(*), count(DISTINCT x), ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST) FROM t');
  });

  test('a model splits at its top-level WITH: each CTE a query of its own, with how often later parts read it', () => {
    const m = translateModel(`-- header
WITH
a AS (SELECT x, epoch(ts) AS e FROM input),
b AS (SELECT * FROM a WHERE x > 0),
c AS (SELECT a.x FROM a JOIN b ON b.x = a.x WHERE a.e > (SELECT max(e) FROM (WITH inner_cte AS (SELECT 1 AS z) SELECT z AS e FROM inner_cte) q))
SELECT c.x, b.x AS y FROM c, b`);
    assert.deepEqual(m.ctes.map((c) => [c.name, c.refs]), [['a', 2], ['b', 2], ['c', 1]]);
    assert.match(m.ctes[0]!.sql, /^SELECT x, \(unix_micros\(CAST\(ts AS TIMESTAMP_LTZ\)\) \/ 1e6\) AS e FROM input$/);
    assert.equal(m.body.trim(), 'SELECT c.x, b.x AS y FROM c, b');
    assert.match(m.sql, /^\s*WITH\s+a AS \(/);
    // Not a plain top-level WITH: no split, the whole statement runs as one.
    assert.deepEqual(translateModel('SELECT 1').ctes, []);
    assert.deepEqual(translateModel('WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r').ctes, []);
  });

  test('DuckDB-only constructs fail loudly, with file:line:col', () => {
    const refused: [string, RegExp][] = [
      ['SELECT x::INTEGER FROM t', /'::' cast shorthand is DuckDB-only/],
      ['SELECT * EXCLUDE (a) FROM t', /SELECT \* EXCLUDE/],
      ['SELECT a FROM t UNION ALL BY NAME SELECT a FROM u', /UNION BY NAME/],
      ['SELECT a, row_number() OVER () AS r FROM t QUALIFY r = 1', /QUALIFY/],
      ['SELECT strftime(ts, \'%Y\') FROM t', /function strftime\(\) is not known/],
      ['SELECT list_value(1, 2)', /function list_value\(\) is not known/],
      ['SELECT a // 2', /integer division/],
      ['SELECT 2 ^ 3', /XOR in Spark/],
      ["SELECT ts AT TIME ZONE 'UTC' FROM t", /AT TIME ZONE is only translated inside timezone/],
      ["SELECT timezone('UTC', ts)", /only translated as timezone\(tz, ts AT TIME ZONE 'UTC'\)/],
      ['SELECT CAST(x AS HUGEINT)', /type HUGEINT is not translated/],
      ['SELECT CAST(x AS TIMESTAMPTZ)', /TIMESTAMPTZ/],
      ["SELECT json_extract_string(u, 'a')", /path must be/],
      ['SELECT a FROM t GROUP BY ALL', /GROUP BY ALL/],
      ["SELECT E'\\n'", /escape strings are DuckDB-only/],
      ['SELECT [1, 2]', /list\/array/],
      ['SELECT 1_000', /separators/],
      ['FROM t SELECT a', /FROM-first/],
      ['SELECT sum(DISTINCT x) FROM t', /sum\(DISTINCT …\) is not translated/],
    ];
    for (const [sql, why] of refused) {
      assert.throws(() => translateToSpark(sql, { source: 'm.sql' }), (e: unknown) => e instanceof TranslateError && why.test(e.message) && /^m\.sql:1:\d+: /.test(e.message), sql);
    }
    assert.throws(() => translateToSpark('SELECT 1,\n  x::INT', { source: 'f.sql' }), /f\.sql:2:4: /);
  });
});

describe('every shipped model', () => {
  const DUCKDB_ONLY = /\b(epoch|json_valid|json_extract_string|timezone|concat)\s*\(|AT TIME ZONE|\bVARCHAR\b|::|EXCLUDE|BY NAME/i;

  test('translates, with no DuckDB-only construct left', async () => {
    let n = 0;
    for (const dir of ['air_quality', 'taxi']) {
      const folder = join(ROOT, 'sql', dir);
      for (const f of (await readdir(folder)).filter((x) => x.endsWith('.sql'))) {
        const file = join(folder, f);
        const sql = renderSql(await readFile(file, 'utf8'), { us_aqi_pm25_table: '2024' }, file, { includeDir: folder });
        const out = translateToSpark(sql, { source: file });
        assert.doesNotMatch(out.replace(/'(?:[^'\\]|\\.)*'/g, "''"), DUCKDB_ONLY, `${f}: ${DUCKDB_ONLY.exec(out)?.[0]}`);
        n++;
      }
    }
    assert.ok(n >= 10, `${n} models`);
  });

  test('the dialect spots the models mark are the ones rewritten', async () => {
    const topo = await loadTopology(join(ROOT, 'topologies/air_quality.yaml'));
    const op = (name: string): string => {
      const spec = topo.spec.operators[name]!;
      assert.equal(spec.type, 'sql');
      return translateToSpark(new SqlOperator(name, spec as never, { baseDir: topo.baseDir, vars: topo.spec.vars ?? {} }).sql);
    };
    assert.match(op('silver'), /try_parse_json\(t\.units_key\) IS NOT NULL END\) THEN get_json_object\(t\.units_key, '\$\.' \|\| p\.pollutant\)/);
    assert.match(op('aqi_hourly'), /CAST\(FLOOR\(\(unix_micros\(CAST\(ts_utc AS TIMESTAMP_LTZ\)\) \/ 1e6\) \/ 3600\) AS BIGINT\)/);
    assert.match(op('aqi_daily'), /CAST\(from_utc_timestamp\(ts_utc, timezone\) AS DATE\) AS date_local/);
    assert.match(op('aqi_hourly'), /CAST\('2024' AS STRING\) AS us_aqi_pm25_table/);
  });
});

describe('job plans', () => {
  test('air_quality: the five operators after Bronze, in execution order, with their materialize specs', async () => {
    const topo = await loadTopology(join(ROOT, 'topologies/air_quality.yaml'));
    const input = { table: 'bronze.open_meteo_air_quality', partition_by: 'date', files: ['/wh/bronze/open_meteo_air_quality/date=2024-03-01/part-x.parquet'], partitions: ['2024-03-01'], rows: 24 };
    const { spec, csv } = planSparkJob(topo, { layers: new Set(['silver', 'gold']), inputs: { bronze: input }, warehouse: '/wh', staging: '/wh/_staging/j', jobId: 'j', appName: 'a', batchId: 'b' });
    assert.deepEqual(spec.operators.map((o) => [o.name, o.input, o.mode, o.table]), [
      ['dim_location', 'bronze', 'upsert', 'gold.dim_location'],
      ['silver', 'bronze', 'upsert', 'silver.air_quality_hourly'],
      ['silver_rejected', 'bronze', 'append', 'silver.air_quality_rejected'],
      ['aqi_hourly', 'silver', 'recompute', 'gold.aqi_hourly'],
      ['aqi_daily', 'aqi_hourly', 'recompute', 'gold.aqi_daily'],
    ].filter(([n]) => spec.operators.some((o) => o.name === n)));
    const hourly = spec.operators.find((o) => o.name === 'aqi_hourly')!;
    assert.deepEqual([hourly.affects_days, hourly.reads_days, hourly.upstream_table, hourly.upstream_partition], [[0, 1], [-1, 0], 'silver.air_quality_hourly', 'date']);
    assert.deepEqual(hourly.relations.us_aqi_breakpoints, { parquet: '/wh/_staging/j/relations/aqi_hourly.us_aqi_breakpoints.parquet' });
    assert.deepEqual(spec.operators.find((o) => o.name === 'aqi_daily')!.relations, { dim_location: { table: 'gold.dim_location' } });
    assert.equal(csv.length, 2);
    assert.equal(spec.result_file, '/wh/_staging/j/result.json');

    // --skip-gold: Silver only. --skip-silver: Gold reads Silver's window as its input.
    const silverOnly = planSparkJob(topo, { layers: new Set(['silver']), inputs: { bronze: input }, warehouse: '/wh', staging: '/s', jobId: 'j', appName: 'a', batchId: 'b' }).spec;
    assert.deepEqual(silverOnly.operators.map((o) => o.name), ['silver', 'silver_rejected']);
    assert.throws(() => planSparkJob(topo, { layers: new Set(['gold']), inputs: { bronze: input }, warehouse: '/wh', staging: '/s', jobId: 'j', appName: 'a', batchId: 'b' }), /operator aqi_hourly needs exactly one input that the Spark job has/);
  });

  test('taxi: Silver and Gold with the zone lookup as a warehouse relation', async () => {
    const topo = await loadTopology(join(ROOT, 'topologies/taxi.yaml'));
    const { spec } = planSparkJob(topo, { layers: new Set(['silver', 'gold']), inputs: { bronze: { table: 'bronze.taxi_trips', files: [], partitions: [], rows: 0 } }, warehouse: '/wh', staging: '/s', jobId: 'j', appName: 'a', batchId: 'b' });
    assert.deepEqual(spec.operators.map((o) => `${o.name}:${o.mode}`), ['silver:upsert', 'silver_rejected:append', 'daily_zone:recompute', 'hourly_demand:recompute']);
    assert.deepEqual(spec.operators[0]!.relations, { taxi_zones: { table: 'gold.dim_taxi_zone' } });
    assert.match(spec.operators[0]!.sql, /md5\(concat_ws\(''/);
  });
});

describe('spark-submit from the service config', () => {
  async function fakeSparkHome(): Promise<string> {
    const home = await mkdtemp(join(tmpdir(), 'strata-spark-home-'));
    await mkdir(join(home, 'bin'));
    await writeFile(join(home, 'bin', 'spark-submit'), '#!/bin/sh\nexit 0\n');
    await chmod(join(home, 'bin', 'spark-submit'), 0o755);
    return home;
  }

  test('defaults: spark section of the schema, YARN master, Strata conf first and the user conf last', async () => {
    const config = await loadServiceConfig(join(ROOT, 'config/default.yaml'), {});
    assert.equal(config.spark.master, 'yarn');
    assert.equal(config.spark.deploy_mode, 'client');
    assert.equal(config.spark.dynamic_allocation.enabled, false);
    assert.equal((await loadServiceConfig(join(ROOT, 'config/default.yaml'), { STRATA_SPARK_MASTER: 'local[2]' })).spark.master, 'local[2]');
    const home = await fakeSparkHome();
    const conf = await mkdtemp(join(tmpdir(), 'strata-hadoop-'));
    await writeFile(join(conf, 'yarn-site.xml'), '<configuration><property><name>yarn.resourcemanager.webapp.address</name><value>10.0.0.5:8088</value></property></configuration>');
    const cmd = sparkSubmitCommand(
      { ...config.spark, spark_home: home, queue: 'etl', executor_memory: '2g', executor_cores: 2, num_executors: 3, conf: { 'spark.sql.shuffle.partitions': 64, 'spark.yarn.maxAppAttempts': 1 } },
      { script: '/job.py', args: ['/spec.json'], appName: 'strata:t:c1', tag: 'spark-c1' },
      { HADOOP_CONF_DIR: conf, PATH: '' },
    );
    assert.equal(cmd.bin, join(home, 'bin', 'spark-submit'));
    assert.equal(cmd.resourceManager, 'http://10.0.0.5:8088');
    assert.equal(cmd.env.HADOOP_CONF_DIR, conf);
    const a = cmd.args.join(' ');
    assert.match(a, /^--master yarn --name strata:t:c1 --driver-memory 512m --executor-memory 2g --deploy-mode client --queue etl --executor-cores 2 --num-executors 3 /);
    assert.match(a, /--conf spark\.yarn\.tags=spark-c1 /);
    assert.ok(a.endsWith('--conf spark.sql.shuffle.partitions=64 --conf spark.yarn.maxAppAttempts=1 /job.py /spec.json'), a);
    assert.equal(cmd.args.filter((x) => x.startsWith('spark.sql.shuffle.partitions=')).length, 1, 'the user conf replaces Strata\'s default');

    const dyn = sparkSubmitCommand({ ...config.spark, spark_home: home, dynamic_allocation: { enabled: true, min_executors: 1, max_executors: 6 } }, { script: 'j', args: [], appName: 'a', tag: 't' }, { HADOOP_CONF_DIR: conf });
    assert.match(dyn.args.join(' '), /spark\.dynamicAllocation\.enabled=true .*shuffleTracking\.enabled=true .*minExecutors=1 .*maxExecutors=6/);
    assert.ok(!dyn.args.includes('--num-executors'));

    const local = sparkSubmitCommand({ ...config.spark, spark_home: home, master: 'local[2]' }, { script: 'j', args: [], appName: 'a', tag: 't' }, {});
    assert.equal(local.yarn, false);
    assert.ok(!local.args.includes('--deploy-mode'));
    assert.equal(totalCores({ ...config.spark, master: 'local[2]' }), 2);
    assert.equal(totalCores({ ...config.spark, num_executors: 3, executor_cores: 2 }), 6);
  });

  test('no spark-submit, or YARN without a Hadoop config: a clear error saying what to do', async () => {
    assert.throws(() => findSparkSubmit({ spark_home: '/nonexistent/spark' }, {}), /spark-submit not found \/nonexistent\/spark\/bin\/spark-submit \(from spark\.spark_home\): install Spark/);
    assert.throws(() => findSparkSubmit({}, { PATH: '/nonexistent' }), /spark-submit not found on PATH \(SPARK_HOME is not set\)/);
    const config = await loadServiceConfig(join(ROOT, 'config/default.yaml'), {});
    const home = await fakeSparkHome();
    assert.throws(() => sparkSubmitCommand({ ...config.spark, spark_home: home }, { script: 'j', args: [], appName: 'a', tag: 't' }, {}), /no Hadoop configuration is known: set HADOOP_CONF_DIR/);
    const conf = await mkdtemp(join(tmpdir(), 'strata-hadoop-'));
    await writeFile(join(conf, 'yarn-site.xml'), '<configuration><property><name>yarn.resourcemanager.hostname</name><value>rm.example</value></property></configuration>');
    assert.equal(resourceManagerUrl(conf), 'http://rm.example:8088');
    assert.equal(resourceManagerUrl(dirname(conf) + '/none'), undefined);
  });

  test('--engine auto picks Spark above backfill.spark_threshold_records', async () => {
    assert.equal(chooseEngine('auto', 1000, 999).engine, 'spark');
    assert.equal(chooseEngine('auto', 999, 999).engine, 'duckdb');
    const dir = await mkdtemp(join(tmpdir(), 'strata-auto-'));
    const config = join(dir, 'strata.yaml');
    await writeFile(config, `service: { topologies: [${join(ROOT, 'topologies')}] }\nbackfill: { spark_threshold_records: 1000 }\n`);
    const plan = (days: string): string =>
      execFileSync(process.execPath, [join(ROOT, 'bin/strata.mjs'), 'backfill', '--topology', 'air_quality', '--start-date', '2024-01-01', '--end-date', days, '--engine', 'auto', '--plan', '--config', config],
        { cwd: ROOT, env: { ...process.env, STRATA_WAREHOUSE: dir, STRATA_LOG_LEVEL: 'warn' }, encoding: 'utf8' });
    assert.match(plan('2024-01-31'), /engine: spark — auto: 5,952 records > threshold 1,000/);
    assert.match(plan('2024-01-05'), /engine: duckdb — auto: 960 records ≤ threshold 1,000 \(in-process\)/);
  });

  test('spark-submit\'s output: the application id parsed at once, every line in the logs, the job\'s error as the reason', async () => {
    // A stand-in spark-submit printing what the YARN client and job.py print (the real ones: test/spark-yarn.test.ts).
    const home = await mkdtemp(join(tmpdir(), 'strata-fake-spark-'));
    await mkdir(join(home, 'bin'));
    await writeFile(join(home, 'bin', 'spark-submit'), [
      '#!/bin/sh',
      'echo "26/11/25 23:14:27 INFO Client: Submitting application application_1795648444642_0042 to ResourceManager" >&2',
      'echo \'STRATA_JOB {"event": "started", "application_id": "application_1795648444642_0042"}\'',
      'echo "26/11/25 23:14:30 WARN TaskSetManager: Lost task 0.0" >&2',
      'echo \'STRATA_JOB_ERROR {"code": "SQL_MODEL_FAILED", "operator": "silver", "error": "operator silver (m.sql): [UNRESOLVED_COLUMN] x"}\'',
      'exit "${FAKE_EXIT:-1}"',
    ].join('\n'));
    await chmod(join(home, 'bin', 'spark-submit'), 0o755);
    const config = await loadServiceConfig(join(ROOT, 'config/default.yaml'), {});
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const seen: string[] = [];
    const err = await sparkSubmit({ settings: { ...config.spark, spark_home: home, master: 'local[2]' }, script: 'job.py', args: [], appName: 'a', tag: 't', log, onApplication: (id) => seen.push(id) }).catch((e: unknown) => e);
    assert.ok(err instanceof SparkError, String(err));
    assert.equal(err.code, 'SPARK_JOB_FAILED');
    assert.equal(err.message, 'spark-submit exited 1: operator silver (m.sql): [UNRESOLVED_COLUMN] x');
    assert.equal(err.applicationId, 'application_1795648444642_0042');
    assert.deepEqual(seen, ['application_1795648444642_0042']);
    assert.ok(lines.some((l) => l.msg === 'spark' && l.level === 40 && /Lost task/.test(String(l.line))), 'WARN lines logged as warnings');
    assert.ok(lines.some((l) => l.msg === 'spark job failed' && l.operator === 'silver'));
    assert.ok(lines.every((l) => l.engine === 'spark'));
    // Exit 0: a result, no error.
    const ok = await sparkSubmit({ settings: { ...config.spark, spark_home: home, master: 'local[2]' }, script: 'job.py', args: [], appName: 'a', tag: 't', log, env: { ...process.env, FAKE_EXIT: '0' } });
    assert.equal(ok.applicationId, 'application_1795648444642_0042');
  });
});
