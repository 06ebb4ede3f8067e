/**
 * 1. Stream throughput: a topic filled beforehand, then drained to Gold by `strata run` (its own
 * kafkajs consumer), timed from the consumer joining its group to the last record committed; beside
 * it kcat reading the same topic to /dev/null, the broker's read limit for one consumer here.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { taxiMonthFile } from '../lib/data.ts';
import { createTopic, deleteByPrefix, deleteGroup, freshPrefix, kcatConsume, publish, readingBatch, topicSize } from '../lib/kafka.ts';
import { ROOT } from '../lib/paths.ts';
import { runMeasured, STRATA_BIN } from '../lib/proc.ts';
import { caseHeader, errorsText, fmt, fmtAuto, fmtSummary, med, rssText, runsText, table, variant } from '../lib/report.ts';
import { Service } from '../lib/service.ts';
import { ensureKafka, log } from '../lib/services.ts';
import type { BenchCase, CaseContext, CaseResult, RunSample, TargetCheck, Variant } from '../lib/types.ts';

const MB = 1e6;
const PARTITIONS = 3;

interface Stream {
  key: 'om' | 'taxi';
  label: string;
  unit: string;
  topology: string;
  group: string;
  topic: string;
  records: number;
  bytes: number;
}

export const streamCase: BenchCase = {
  name: 'stream',
  title: '1. Stream throughput',

  async setup(ctx: CaseContext) {
    const { opts } = ctx;
    const brokers = await ensureKafka(opts.brokers);
    const prefix = freshPrefix('stream');
    const streams: Stream[] = [];
    const params: Record<string, unknown> = { brokers, partitions: PARTITIONS };
    try {
      // Open-Meteo: one Avro reading per message, keyed by location.
      const omTopic = `${prefix}strata.open_meteo.readings`;
      await createTopic(brokers, omTopic, PARTITIONS);
      log(`stream: publishing ${opts.omReadings.toLocaleString('en')} Open-Meteo readings`);
      const om = await publish(brokers, omTopic, readingBatch(opts.omReadings, opts.omLocations));
      Object.assign(params, { om_readings: opts.omReadings, om_locations: opts.omLocations, om_bytes: om.bytes, om_produce_records_per_s: Math.round(opts.omReadings / om.seconds) });
      streams.push({ key: 'om', label: 'Open-Meteo readings', unit: 'records', topology: join(ROOT, 'topologies/air_quality.yaml'), group: `${prefix}strata-air_quality-readings_kafka`, topic: omTopic, records: opts.omReadings, bytes: om.bytes });

      // Taxi: TripBatch messages of 5,000 trips, published by the real `strata produce taxi`.
      const file = await taxiMonthFile(opts.taxiStreamRows);
      const taxiTopic = `${prefix}strata.tlc.trips`;
      await createTopic(brokers, taxiTopic, PARTITIONS);
      log(`stream: publishing ${opts.taxiStreamRows.toLocaleString('en')} taxi trips (strata produce taxi)`);
      const produced = await runMeasured(process.execPath, [STRATA_BIN, 'produce', 'taxi', '--file', file, '--topic', taxiTopic], {
        env: { ...process.env, STRATA_KAFKA_BROKERS: brokers, STRATA_LOG_LEVEL: 'warn', STRATA_WAREHOUSE: await mkdtemp(join(ctx.workDir, 'produce-')) },
        timeoutMs: 60 * 60_000,
      });
      const size = await topicSize(brokers, taxiTopic);
      Object.assign(params, { taxi_rows: opts.taxiStreamRows, taxi_messages: size.messages, taxi_bytes: size.bytes, taxi_produce_rows_per_s: Math.round(opts.taxiStreamRows / produced.seconds) });
      streams.push({ key: 'taxi', label: 'taxi trips', unit: 'rows', topology: join(ROOT, 'topologies/taxi.yaml'), group: `${prefix}strata-taxi-trips_kafka`, topic: taxiTopic, records: opts.taxiStreamRows, bytes: size.bytes });
      // kcat's fixed cost (start, metadata, end-of-partition detection) is inside its wall time: shown beside it.
      const empty = `${prefix}empty`;
      await createTopic(brokers, empty, PARTITIONS);
      params.kcat_empty_topic_s = (await kcatConsume(brokers, empty)).seconds;
    } catch (err) {
      await deleteByPrefix(brokers, prefix).catch(() => undefined);
      throw err;
    }

    const sample = (s: Stream, seconds: number, peakRssBytes: number, notes?: RunSample['notes']): RunSample => ({
      seconds,
      metrics: { records_per_s: s.records / seconds, mb_per_s: s.bytes / MB / seconds },
      peak_rss_mb: peakRssBytes / 2 ** 20,
      notes,
    });
    const variants: Variant[] = streams.flatMap((s): Variant[] => [
      {
        id: `${s.key}-strata`,
        label: `Strata, ${s.label} → Gold`,
        ...ctx.plan('stream', `${s.key}-strata`, { warmup: 1, repeats: 3 }),
        async run() {
          // Same topic every run: drop the group so the new service reads it from the start again.
          await deleteGroup(brokers, s.group);
          const svc = await Service.start({ dir: ctx.workDir, topologies: [s.topology], warehouse: await mkdtemp(join(ctx.workDir, 'wh-')), kafka: { brokers, prefix } });
          const end = await svc.run(() => svc.rows >= s.records, 60 * 60_000, `${s.records} ${s.unit} in Gold`);
          if (svc.rows !== s.records) throw new Error(`${svc.rows} ${s.unit} committed, expected ${s.records}`);
          const seconds = (svc.commits.at(-1)!.time - svc.joinedAt!) / 1000;
          return sample(s, seconds, end.peakRssBytes, { batches: svc.commits.length, spawn_to_join_s: (svc.joinedAt! - svc.spawnedAt) / 1000 });
        },
      },
      {
        id: `${s.key}-kcat`,
        label: `kcat, ${s.label} → /dev/null`,
        ...ctx.plan('stream', `${s.key}-kcat`, { warmup: 1, repeats: 3 }),
        async run() {
          const r = await kcatConsume(brokers, s.topic);
          return sample(s, r.seconds, r.peakRssBytes);
        },
      },
    ]);
    return { params, variants, cleanup: () => deleteByPrefix(brokers, prefix) };
  },

  assess(r: CaseResult) {
    const derived: Record<string, number> = {};
    const targets: TargetCheck[] = [];
    for (const [key, what, target] of [['om', 'Open-Meteo readings Kafka → Gold', 100_000], ['taxi', 'taxi trips Kafka → Gold', 1_000_000]] as const) {
      const strata = med(r, `${key}-strata`, 'records_per_s');
      const kcat = med(r, `${key}-kcat`, 'records_per_s');
      if (strata !== undefined && kcat !== undefined) derived[`${key}_strata_over_kcat`] = strata / kcat;
      targets.push({ what: `${what}, records/s`, target: `≥ ${fmt(target)}/s`, measured: strata === undefined ? '–' : `${fmt(strata)}/s`, met: strata === undefined ? null : strata >= target });
      const ratio = derived[`${key}_strata_over_kcat`];
      targets.push({ what: `${what}, Strata / kcat`, target: '≥ 50 %', measured: ratio === undefined ? '–' : `${fmtAuto(ratio * 100)} %`, met: ratio === undefined ? null : ratio >= 0.5 });
    }
    return { derived, targets };
  },

  render(r: CaseResult) {
    const p = r.params as Record<string, number>;
    const mb = (k: string): string => fmt(p[k]! / MB, 1);
    const rows = r.variants.map((v) => [v.label, runsText(v), fmtSummary(v.summary.seconds), fmtSummary(v.summary.records_per_s, (n) => fmt(n)), fmtSummary(v.summary.mb_per_s), rssText(v)]);
    const ratio = (k: string): string => (r.derived[k] === undefined ? '–' : `${fmtAuto(r.derived[k]! * 100)} %`);
    const batches = (id: string): string => String(variant(r, id)?.runs.find((x) => !x.warmup)?.notes?.batches ?? '–');
    return `## ${r.title}\n\n${caseHeader(r)}\n` +
      `Topics of ${p.partitions} partitions on the local broker, filled before the runs: ${fmt(p.om_readings)} Open-Meteo readings of ${fmt(p.om_locations)} locations ` +
      `(one Avro record per message, ${mb('om_bytes')} MB; published at ${fmt(p.om_produce_records_per_s)}/s) and ${fmt(p.taxi_rows)} taxi trips ` +
      `(${fmt(p.taxi_messages)} TripBatch messages from \`strata produce taxi\`, ${mb('taxi_bytes')} MB; published at ${fmt(p.taxi_produce_rows_per_s)} trips/s). ` +
      'Strata: `strata run` with only that topology, from its consumer joining the group to the last record committed in Gold (a fresh warehouse each run). ' +
      `kcat: \`kcat -C -o beginning -e\` of the same topic to /dev/null, process wall time (${fmtAuto(p.kcat_empty_topic_s)} s on an empty topic).\n\n` +
      table(['run', 'runs', 'seconds', 'records/s', 'MB/s', 'peak RSS per run, MB'], rows) +
      `\nStrata / kcat: Open-Meteo ${ratio('om_strata_over_kcat')}, taxi ${ratio('taxi_strata_over_kcat')}. Batches committed per run: Open-Meteo ${batches('om-strata')}, taxi ${batches('taxi-strata')}.\n` +
      errorsText(r);
  },
};
