/** What is generated from the component definitions is checked in and current: the JSON Schema and the reference docs. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../src/config/docs.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('schemas/strata.schema.json and docs/components/ match the definitions (run `npm run generate` after changing one)', async () => {
  const files = await generatedFiles();
  assert.ok(Object.keys(files).length >= 8, 'the schema, an index, a service-config page and a page per component type');
  for (const [file, text] of Object.entries(files)) {
    const on = await readFile(file, 'utf8').catch(() => '(missing)');
    assert.ok(on === text, `${relative(ROOT, file)} is stale: run \`npm run generate\` and commit the result`);
  }
});

test('every registered type has a reference page and a place in the schema', async () => {
  const files = await generatedFiles();
  const schema = JSON.parse(Object.entries(files).find(([f]) => f.endsWith('strata.schema.json'))![1]) as { $defs: Record<string, { properties: { type: { enum: string[] } } }> };
  for (const [kind, section] of [['source', 'source'], ['operator', 'operator'], ['sink', 'sink']] as const) {
    for (const type of schema.$defs[section]!.properties.type.enum) {
      assert.ok(Object.keys(files).some((f) => f.endsWith(`/docs/components/${kind}-${type}.md`)), `${kind} ${type} has no page`);
    }
  }
});
