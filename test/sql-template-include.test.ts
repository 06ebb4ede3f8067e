/** `{{ include('file.sql') }}` in SQL models (src/duckdb/sql-template.ts). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../src/core/errors.ts';
import { loadSqlModel, renderSql } from '../src/duckdb/sql-template.ts';
import { loadTopology } from '../src/config/topology.ts';
import { referencedFiles, topologyFingerprint } from '../src/runtime/fingerprint.ts';

const isCode = (code: string) => (e: unknown): boolean => e instanceof EngineError && e.code === code;

test('an include inserts the file (rendered with the same vars, trailing semicolon dropped)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-sql-'));
  await mkdir(join(dir, 'parts'));
  await writeFile(join(dir, 'parts', 'rules.sql'), "checked AS (SELECT *, x > {{ var('limit') }} AS big FROM input);\n");
  await writeFile(join(dir, 'model.sql'), "WITH\n{{ include('parts/rules.sql') }}\nSELECT * FROM checked WHERE big AND tag = {{ var('tag') }}");
  const sql = await loadSqlModel(join(dir, 'model.sql'), { limit: 10, tag: "it's" });
  assert.equal(sql, "WITH\nchecked AS (SELECT *, x > 10 AS big FROM input)\nSELECT * FROM checked WHERE big AND tag = 'it''s'");
});

test('include errors: outside the folder, missing file, a cycle, no folder given, unknown var inside', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-sql-'));
  await writeFile(join(dir, 'a.sql'), "{{ include('b.sql') }}");
  await writeFile(join(dir, 'b.sql'), "{{ include('a.sql') }}");
  await writeFile(join(dir, 'v.sql'), "SELECT {{ var('nope') }}");
  const opts = { includeDir: dir };
  assert.throws(() => renderSql("{{ include('../x.sql') }}", {}, 'm.sql', opts), (e) => isCode('SQL_TEMPLATE_INCLUDE')(e) && /in .* or below it/.test((e as Error).message));
  assert.throws(() => renderSql("\n{{ include('missing.sql') }}", {}, 'm.sql', opts), (e) => isCode('SQL_TEMPLATE_INCLUDE')(e) && /^m\.sql:2: include\('missing\.sql'\): cannot read .*ENOENT/.test((e as Error).message));
  assert.throws(() => renderSql("{{ include('a.sql') }}", {}, 'm.sql', opts), (e) => isCode('SQL_TEMPLATE_INCLUDE')(e) && /include cycle .*a\.sql → .*b\.sql → .*a\.sql/.test((e as Error).message));
  assert.throws(() => renderSql("{{ include('a.sql') }}", {}, 'm.sql'), isCode('SQL_TEMPLATE_INCLUDE'));
  assert.throws(() => renderSql("{{ include('v.sql') }}", {}, 'm.sql', opts), (e) => isCode('SQL_TEMPLATE_UNKNOWN_VAR')(e) && (e as Error).message.includes(join(dir, 'v.sql')));
  // Anything else in braces is still refused.
  assert.throws(() => renderSql("{{ include('a.sql') }} {{ ref('x') }}", {}, 'm.sql', opts), isCode('SQL_TEMPLATE_INCLUDE'));
  assert.throws(() => renderSql("{{ ref('x') }}", {}, 'm.sql', opts), isCode('SQL_TEMPLATE_SYNTAX'));
});

test('the taxi models share one rules definition: both render with the same CASE', async () => {
  const dir = fileURLToPath(new URL('../sql/taxi/', import.meta.url));
  const silver = await loadSqlModel(join(dir, 'silver.taxi_trips.sql'));
  const rejected = await loadSqlModel(join(dir, 'silver.taxi_trips_rejected.sql'));
  const rules = (sql: string): string => sql.slice(sql.indexOf('checked AS ('), sql.indexOf('END AS reason'));
  assert.ok(rules(silver).includes("THEN 'unknown_zone'"));
  assert.equal(rules(silver), rules(rejected));
  assert.doesNotMatch(silver + rejected, /\{\{|\}\}/);
});

test('live reload sees included files: referencedFiles lists them, and editing one changes the fingerprint', async () => {
  const topo = await loadTopology(fileURLToPath(new URL('../topologies/air_quality.yaml', import.meta.url)));
  const classify = fileURLToPath(new URL('../sql/air_quality/silver_classify.sql', import.meta.url));
  assert.ok(referencedFiles(topo).includes(classify), 'the air_quality topology reads silver_classify.sql');
  // Nested includes, on a copy: an edit two levels down restarts the topology.
  const root = await mkdtemp(join(tmpdir(), 'strata-include-reload-'));
  await mkdir(join(root, 'topologies'));
  await mkdir(join(root, 'sql', 'parts'), { recursive: true });
  await writeFile(join(root, 'sql', 'm.sql'), "WITH\n{{ include('parts/a.sql') }}\nSELECT * FROM checked");
  await writeFile(join(root, 'sql', 'parts', 'a.sql'), "{{ include('b.sql') }}");
  await writeFile(join(root, 'sql', 'parts', 'b.sql'), 'checked AS (SELECT 1 AS x)');
  const file = join(root, 'topologies', 't.yaml');
  await writeFile(file, "name: t\nsources:\n  s: { type: tlc, months: ['2025-01'] }\noperators:\n  b: { type: bronze, inputs: [s], table: bronze.t, partition_by: date, partition_expr: CAST(pickup_datetime AS DATE) }\n  m:\n    type: sql\n    inputs: [b]\n    sql: ../sql/m.sql\n    materialize: { mode: append, table: silver.t }\n");
  const t = await loadTopology(file);
  assert.deepEqual(referencedFiles(t), [join(root, 'sql', 'm.sql'), join(root, 'sql', 'parts', 'a.sql'), join(root, 'sql', 'parts', 'b.sql')]);
  const before = topologyFingerprint(t);
  await writeFile(join(root, 'sql', 'parts', 'b.sql'), 'checked AS (SELECT 2 AS x)');
  assert.notEqual(topologyFingerprint(t), before);
});
