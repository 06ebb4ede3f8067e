/** Generated inputs, made once and kept under .cache/bench/ (every generator here is deterministic). */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import YAML from 'yaml';
import { CACHE, ROOT } from './paths.ts';
import { runMeasured } from './proc.ts';
import { log } from './services.ts';

/**
 * A yellow-taxi month of `rows` trips drawn from the real sample's distribution
 * (scripts/generate-taxi-month.ts). The TLC file name is kept: the pipeline reads the month from it.
 */
export async function taxiMonthFile(rows: number): Promise<string> {
  const file = join(CACHE, `taxi-${rows}`, 'yellow_tripdata_2025-01.parquet');
  if (existsSync(file)) return file;
  log(`generating ${rows.toLocaleString('en')} taxi trips → ${relative(ROOT, file)}`);
  await runMeasured(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/generate-taxi-month.ts'), '--rows', String(rows), '--out', file], { timeoutMs: 30 * 60_000 });
  return file;
}

/** Time zones the synthetic locations cycle through (local days straddle UTC days differently). */
const ZONES = ['Asia/Ho_Chi_Minh', 'Europe/Amsterdam', 'America/New_York', 'Asia/Shanghai', 'Australia/Sydney', 'America/Sao_Paulo', 'Africa/Nairobi', 'Asia/Kolkata', 'Pacific/Auckland', 'America/Los_Angeles'];

/** `n` locations spread over the globe (the Open-Meteo emulator answers any coordinates). */
export async function locationsFile(n: number): Promise<string> {
  const file = join(CACHE, `locations-${n}.jsonl`);
  if (existsSync(file)) return file;
  await mkdir(dirname(file), { recursive: true });
  const lines = Array.from({ length: n }, (_, i) => {
    const id = `bench_${String(i + 1).padStart(3, '0')}`;
    const latitude = Math.round((-55 + ((i * 37) % 120) + (i % 7) * 0.13) * 1e4) / 1e4;
    const longitude = Math.round((-175 + ((i * 73) % 350) + (i % 11) * 0.17) * 1e4) / 1e4;
    return JSON.stringify({ id, name: `Bench location ${i + 1}`, latitude, longitude, timezone: ZONES[i % ZONES.length] });
  });
  await writeFile(`${file}.tmp`, lines.join('\n') + '\n');
  await rename(`${file}.tmp`, file);
  return file;
}

/**
 * The shipped taxi topology reading `file` instead of the samples. Topology paths must stay inside
 * the project (the parent of the topology's folder), so the copy sits one level below the root, in
 * .cache/, where the shipped file's `../sql/…` paths still resolve.
 */
export async function taxiTopologyFor(file: string): Promise<string> {
  const doc = YAML.parseDocument(await readFile(join(ROOT, 'topologies/taxi.yaml'), 'utf8'));
  const out = join(ROOT, '.cache', `bench-${basename(dirname(file))}.yaml`);
  doc.setIn(['sources', 'trips', 'files'], [relative(dirname(out), file)]);
  await writeFile(`${out}.tmp`, doc.toString());
  await rename(`${out}.tmp`, out);
  return out;
}
