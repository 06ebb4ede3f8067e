import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LoadedTopology } from '../config/types.ts';
import { includedFiles } from '../duckdb/sql-template.ts';

/** The files a topology reads besides itself: SQL models and the files they include, CSV relations and seeds, Avro schemas, locations. */
export function referencedFiles(t: LoadedTopology): string[] {
  const out = new Set<string>();
  const add = (p: string | undefined): void => {
    if (p) out.add(resolve(t.baseDir, p));
  };
  for (const s of Object.values(t.spec.sources)) {
    const src = s as unknown as Record<string, unknown>;
    for (const k of ['locations', 'schema']) if (typeof src[k] === 'string') add(src[k] as string);
  }
  for (const op of Object.values(t.spec.operators)) {
    if (op.type !== 'sql') continue;
    add(op.sql);
    if (op.sql) for (const f of includedFiles(resolve(t.baseDir, op.sql))) out.add(f);
    for (const rel of Object.values(op.relations ?? {})) if (rel.endsWith('.csv')) add(rel);
  }
  for (const s of t.spec.seeds ?? []) add(s.file);
  return [...out].sort();
}

/** Folders to watch for a topology: its own and those of the files it reads. */
export function watchedFolders(t: LoadedTopology): string[] {
  return [...new Set([t.baseDir, ...referencedFiles(t).map((f) => dirname(f))])];
}

/** Changes when the topology file or anything it reads changes: the trigger for a live restart. */
export function topologyFingerprint(t: LoadedTopology): string {
  const h = createHash('sha256');
  for (const f of [t.file, ...referencedFiles(t)]) {
    h.update(f);
    h.update(existsSync(f) && statSync(f).isFile() ? readFileSync(f) : 'missing');
  }
  return h.digest('hex');
}
