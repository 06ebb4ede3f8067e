import { resolve } from 'node:path';
import { httpClientHooks } from '../../observability/metrics.ts';
import { defineSource } from '../source.ts';
import { OpenMeteoClient } from './client.ts';
import { OpenMeteoPollSource } from './poll-source.ts';
import { OpenMeteoSettingsSchema } from './settings.ts';
import { OpenMeteoSourceConfig } from './spec.ts';

export const openMeteoSource = defineSource({
  type: 'open_meteo',
  summary: 'Polls the Open-Meteo air-quality API for every location on a schedule.',
  description: [
    'Fetches hourly air quality (the six AQI pollutants, dust, UV index) for each location of a JSON Lines file, once at start and then on a cron schedule; each poll asks for `past_days` days back to today, so late corrections of the model are picked up (Silver keeps the latest value per location, hour and pollutant).',
    'Transient failures (429, 5xx, timeouts, cut bodies) are retried with jittered back-off; a location that keeps failing is logged and counted while the others go on. Responses are cached on disk for `open_meteo.cache_ttl_hours`.',
    'With `seed`, recorded responses in a folder are published once at start, so a topology has data offline. In a backfill the source fetches the window of each chunk, all-or-nothing.',
  ].join('\n\n'),
  config: OpenMeteoSourceConfig,
  settings: { key: 'open_meteo', schema: OpenMeteoSettingsSchema },
  examples: [
    {
      title: 'Hourly, with a recorded seed for offline starts',
      yaml: `readings:
  type: open_meteo
  locations: ../config/locations.jsonl
  seed: ../samples/open-meteo
  schedule: { cron: '0 * * * *', timezone: Asia/Ho_Chi_Minh }
  past_days: 2`,
    },
  ],
  files: (s) => [
    { at: ['locations'], path: s.locations, what: 'locations file', kind: 'file' },
    ...(s.seed ? [{ at: ['seed'], path: s.seed, what: 'seed folder', kind: 'dir' as const }] : []),
  ],
  describe: (s) =>
    `open_meteo(locations=${s.locations}${s.schedule ? `, cron="${s.schedule.cron}" ${s.schedule.timezone}` : ''}${s.when !== 'always' ? `, when ${s.when}` : ''})`,
  build(name, spec, ctx) {
    const client = new OpenMeteoClient(ctx.settings, {
      cacheDir: resolve(ctx.cacheDir, 'open-meteo'),
      logger: ctx.log,
      ...httpClientHooks(ctx.metrics, 'open_meteo'),
    });
    ctx.onClose(() => client.close());
    return new OpenMeteoPollSource(name, spec, {
      topology: ctx.topology,
      baseDir: ctx.baseDir,
      client,
      log: ctx.log,
      state: ctx.state,
      onRun: ctx.onScheduledRun,
    });
  },
});
