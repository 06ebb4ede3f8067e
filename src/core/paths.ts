import { isAbsolute, relative, resolve } from 'node:path';

/** Resolves `p` against `baseDir` and refuses a result outside `root`: configs cannot reach arbitrary files. */
export function resolveWithin(root: string, baseDir: string, p: string): { path: string; escapes: boolean } {
  const abs = resolve(baseDir, p);
  const rel = relative(root, abs);
  return { path: abs, escapes: rel === '..' || rel.startsWith('../') || isAbsolute(rel) };
}
