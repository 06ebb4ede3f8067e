/** `{{ include('file.sql') }}` in SQL models (src/engines/sql-template.ts). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../src/errors.ts';
import { loadSqlModel, renderSql } from '../src/engines/sql-template.ts';

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
