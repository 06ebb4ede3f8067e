import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * File patterns of a `tlc` source: paths relative to the topology file, where the last segment may
 * hold `*` (any characters) and `?` (one character), e.g. `../samples/taxi/*.parquet`. Folders are
 * never wildcards: a pattern names one folder, which keeps matching obvious and cheap.
 */
export function hasWildcard(pattern: string): boolean {
  return /[*?]/.test(basename(pattern));
}

/** The folder a pattern reads (resolved), for existence and project-root checks. */
export function patternDir(baseDir: string, pattern: string): string {
  return resolve(baseDir, dirname(pattern));
}

/** Files matching one pattern, sorted; a literal path is returned as is (existing or not). */
export function matchPattern(baseDir: string, pattern: string): string[] {
  const abs = resolve(baseDir, pattern);
  if (!hasWildcard(pattern)) return [abs];
  const dir = dirname(abs);
  if (!existsSync(dir)) return [];
  const re = new RegExp(`^${basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return readdirSync(dir)
    .filter((n) => re.test(n) && !n.startsWith('.') && statSync(resolve(dir, n)).isFile())
    .sort()
    .map((n) => resolve(dir, n));
}

/** Every file of the patterns, in pattern order then name order, each once. */
export function expandPatterns(baseDir: string, patterns: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) for (const f of matchPattern(baseDir, p)) if (!out.includes(f)) out.push(f);
  return out;
}

/** Whether `path` is an existing regular file. */
export function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
