import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { nodeFiles, type LoadedTopology } from '../components/topology.ts';

/** The files a topology reads besides itself, as its nodes' definitions name them (folders and globs aside), and its seeds. */
export function referencedFiles(t: LoadedTopology): string[] {
  const out = new Set<string>();
  for (const { ref } of nodeFiles(t.spec, t.baseDir)) if (ref.kind !== 'dir' && ref.kind !== 'glob') out.add(resolve(t.baseDir, ref.path));
  for (const s of t.spec.seeds ?? []) out.add(resolve(t.baseDir, s.file));
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
