/**
 * Runs the Open-Meteo air-quality emulator for offline work:
 *   node --import tsx scripts/open-meteo-emulator.ts [--port 8089] [--host 127.0.0.1] [--fault none|429|500|slow|truncated|bad-json]
 * then point Strata at it: STRATA_OPEN_METEO_BASE_URL=<printed url>.
 */
import { parseArgs } from 'node:util';
import { startOpenMeteoEmulator, type FaultKind } from '../dev/open-meteo/emulator.ts';

const FAULTS: readonly FaultKind[] = ['none', '429', '500', 'slow', 'truncated', 'bad-json'];

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8089' },
    host: { type: 'string', default: '127.0.0.1' },
    fault: { type: 'string', default: 'none' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: open-meteo-emulator [--port 8089] [--host 127.0.0.1] [--fault none|429|500|slow|truncated|bad-json]');
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer in 0..65535, got ${values.port}`);
  process.exit(2);
}
const fault = values.fault as FaultKind;
if (!FAULTS.includes(fault)) {
  console.error(`--fault must be one of ${FAULTS.join(', ')}, got ${values.fault}`);
  process.exit(2);
}

const emulator = await startOpenMeteoEmulator({ port, host: values.host, fault });
console.log(emulator.url);
console.error(`Open-Meteo emulator listening; try ${emulator.url}/v1/air-quality?latitude=52.37&longitude=4.9&hourly=pm2_5,us_aqi&start_date=2024-01-01&end_date=2024-01-01`);

const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
