import { resolve } from 'node:path';
import { httpClientHooks } from '../../observability/metrics.ts';
import { defineSource } from '../source.ts';
import { TlcClient } from './client.ts';
import { TlcSettingsSchema } from './settings.ts';
import { TlcSource } from './source.ts';
import { TlcSourceConfig } from './spec.ts';

export const tlcSource = defineSource({
  type: 'tlc',
  summary: 'NYC TLC trip files (yellow or green, Parquet or CSV): local files and/or months downloaded from the TLC host.',
  description: [
    'Reads trip files with DuckDB in batches of `batch_rows` rows and normalises them to one schema (the TLC changed column names and types over the years). Local `files` (globs allowed in the last segment) are read first, then `months`, downloaded once from `tlc.base_url` into the warehouse cache.',
    'Each file is checked whole (format, columns, types) before its first batch: a bad file lands nothing, is logged with its reason, and the other files go on; the source then ends with an error naming every failed file, so `/readyz` shows it while the good files are in.',
    'Batch ids are `<file name>#<batch index>`, so a re-read file replaces its own Bronze files instead of duplicating them.',
  ].join('\n\n'),
  config: TlcSourceConfig,
  settings: { key: 'tlc', schema: TlcSettingsSchema },
  examples: [
    { title: 'The samples shipped with the repository', yaml: `trips:\n  type: tlc\n  files: [../samples/taxi/*.parquet, ../samples/taxi/*.csv]` },
    { title: 'Two months of green trips from the TLC host', yaml: `trips:\n  type: tlc\n  months: ['2024-01', '2024-02']\n  color: green` },
  ],
  files: (s) => (s.files ?? []).map((path, i) => ({ at: ['files', i], path, what: 'trip file', kind: 'glob' as const })),
  check(s, ctx) {
    if (!s.files?.length && !s.months?.length) ctx.problem([], `sources.${ctx.name}: a tlc source needs "files" or "months"`, true);
  },
  describe: (s) =>
    `tlc(${[...(s.files ?? []), ...(s.months ?? []).map((m) => `${s.color} ${m}`)].join(', ')}, batch_rows=${s.batch_rows}${s.when !== 'always' ? `, when ${s.when}` : ''})`,
  build(name, spec, ctx) {
    const cacheDir = resolve(ctx.cacheDir, 'tlc');
    let client: TlcClient | undefined;
    if (spec.months?.length) {
      const c = new TlcClient(ctx.settings, { cacheDir, logger: ctx.log, onRequest: httpClientHooks(ctx.metrics, 'tlc').onRequest });
      ctx.onClose(() => c.close());
      client = c;
    }
    return new TlcSource(name, spec, { topology: ctx.topology, baseDir: ctx.baseDir, cacheDir, client, log: ctx.log });
  },
});
