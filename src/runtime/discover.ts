import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ServiceConfig } from '../config/service-schema.ts';

/** Topology files named by the service config (files, or folders of *.yaml / *.yml). */
export async function topologyFiles(config: ServiceConfig): Promise<string[]> {
  const base = config.file ? dirname(dirname(config.file)) : process.cwd();
  const out: string[] = [];
  for (const entry of config.service.topologies) {
    const p = resolve(base, entry);
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of (await readdir(p)).sort()) if (/\.ya?ml$/.test(f)) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

/** Resolves `--topology` given as a name (looked up among the configured files) or a path. */
export async function findTopologyFile(config: ServiceConfig, nameOrPath: string, loadName: (file: string) => Promise<string | undefined>): Promise<string | undefined> {
  if (/\.ya?ml$/.test(nameOrPath) || nameOrPath.includes('/')) return existsSync(nameOrPath) ? resolve(nameOrPath) : undefined;
  for (const f of await topologyFiles(config)) if ((await loadName(f)) === nameOrPath) return f;
  return undefined;
}
