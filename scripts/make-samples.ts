// Regenerates samples/open-meteo/: the responses `npm start` publishes at start so the pipeline has data
// offline. Beijing is the real recorded API response from ../shared/data; the other locations are
// answered by the local Open-Meteo emulator (synthetic values in the real API's exact shape).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';
import { startOpenMeteoEmulator } from '../dev/open-meteo/emulator.ts';
import { POLLUTANT_VARIABLES } from '../src/sources/open-meteo/types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}samples/open-meteo`;
const [start, end] = [process.argv[2] ?? '2025-10-10', process.argv[3] ?? '2025-10-16'];
await mkdir(out, { recursive: true });
const emu = await startOpenMeteoEmulator({ port: 0, host: '127.0.0.1' });
try {
  for (const loc of await loadLocations(`${root}config/locations.jsonl`)) {
    if (loc.id === 'beijing') {
      await copyFile(`${root}../shared/data/openmeteo/beijing_co_2023-01-01.json`, `${out}/beijing.json`);
      continue;
    }
    const url = `${emu.url}/v1/air-quality?latitude=${loc.latitude}&longitude=${loc.longitude}&hourly=${POLLUTANT_VARIABLES.join(',')}&start_date=${start}&end_date=${end}&timezone=GMT`;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
    await writeFile(`${out}/${loc.id}.json`, await res.text());
  }
} finally {
  await emu.close();
}
console.log(`samples written to ${out} for ${start}..${end}`);
