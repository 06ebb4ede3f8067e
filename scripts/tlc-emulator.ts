/**
 * Serves a folder the way the TLC's trip-data host does, for offline runs and manual tests:
 *
 *   node --import tsx scripts/tlc-emulator.ts [--dir samples/taxi] [--port 8090] [--fault none|500|truncated]
 *   STRATA_TLC_BASE_URL=http://127.0.0.1:8090 npx strata produce taxi --month 2025-01 …
 *
 * Files are at /trip-data/<name>; a missing one is 403 AccessDenied XML, as on the real host.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTlcEmulator, type TlcFaultKind } from '../dev/tlc/emulator.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'samples/taxi' },
    port: { type: 'string', default: '8090' },
    host: { type: 'string', default: '127.0.0.1' },
    fault: { type: 'string', default: 'none' },
  },
});
const emu = await startTlcEmulator({ dir: resolve(values.dir!), port: Number(values.port), host: values.host!, fault: values.fault as TlcFaultKind });
process.stdout.write(`TLC emulator serving ${resolve(values.dir!)} at ${emu.url}/trip-data/<name>\n`);
const stop = (): void => void emu.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
