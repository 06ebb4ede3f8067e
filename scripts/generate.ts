// Writes what is generated from the component definitions: schemas/strata.schema.json and the
// reference pages under docs/components/. `npm run generate`; test/generated.test.ts fails when
// either is stale.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generatedFiles } from '../src/config/docs.ts';

for (const [file, text] of Object.entries(await generatedFiles())) {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  console.log(`wrote ${file}`);
}
