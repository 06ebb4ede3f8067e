/**
 * 2. Latency: readings offered at a fixed rate to a topic that a running `strata run` consumes;
 * each record's latency is from its Kafka timestamp (set by the producer when it sends it) to the
 * commit of the batch holding its offset (logged once Gold's files are renamed into place and the
 * batch is acknowledged, so the record is visible in Gold by then).
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createTopic, deleteByPrefix, freshPrefix, kcatFrames, kcatProducer, messageTimes, readingBatch } from '../lib/kafka.ts';
import { ROOT } from '../lib/paths.ts';
import { caseHeader, errorsText, fmt, fmtAuto, fmtSummary, rssText, runsText, table, variant } from '../lib/report.ts';
import { Service } from '../lib/service.ts';
import { ensureKafka, log } from '../lib/services.ts';
import { max, percentile } from '../lib/stats.ts';
import type { BenchCase, CaseContext, CaseResult, RunSample, Variant, VariantResult } from '../lib/types.ts';

const PARTITIONS = 3;
const TARGET_P99_MS = 2000;
const BATCH_ID = /^kafka-(.+)-(\d+)-(\d+)-(\d+)$/;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function keepsUpText(v: VariantResult): string {
  const s = v.summary;
  if (!s.keeps_up) return '–';
  if (s.keeps_up.min === 1) return 'yes';
  const missing = s.not_in_gold_fraction?.median ?? 0;
  const why = missing > 0
    ? `${fmtAuto(missing * 100)} % not in Gold when the run stopped`
    : `median latency ${fmtAuto(s.first_third_p50_ms!.median / 1000)} s → ${fmtAuto(s.last_third_p50_ms!.median / 1000)} s from the first to the last third`;
  return `${s.keeps_up.max === 1 ? 'not in every run' : 'no'} (${why})`;
}

export const latencyCase: BenchCase = {
  name: 'latency',
  title: '2. Latency',

  async setup(ctx: CaseContext) {
    const { opts } = ctx;
    const brokers = await ensureKafka(opts.brokers);
    const base = freshPrefix('latency');
    const most = Math.max(Math.round(opts.latencyRate * opts.latencySeconds), Math.round(opts.latencyTargetRate * opts.latencyTargetSeconds));
    // Encoded (and framed for kcat) before any run, so the offered rate is not limited by encoding.
    const frames = kcatFrames(readingBatch(most, opts.omLocations));
    let runNo = 0;

    const measure = async (rate: number, seconds: number): Promise<RunSample> => {
      const prefix = `${base}${++runNo}.`;
      const topic = `${prefix}strata.open_meteo.readings`;
      const total = Math.round(rate * seconds);
      await createTopic(brokers, topic, PARTITIONS);
      const svc = await Service.start({ dir: ctx.workDir, topologies: [join(ROOT, 'topologies/air_quality.yaml')], warehouse: await mkdtemp(join(ctx.workDir, 'wh-')), kafka: { brokers, prefix } });
      const producer = kcatProducer(brokers, topic);
      let t0 = 0;
      let producedEnd = 0;
      let stoppedAt = 0;
      let peak = 0;
      try {
        await svc.until(() => svc.joinedAt !== undefined, 5 * 60_000, 'the consumer to join its group');
        log(`latency: offering ${fmt(total)} readings at ${fmt(rate)}/s`);
        // Paced by the clock: each write hands kcat every record due by now (at most 5,000), so a
        // producer that falls behind catches up instead of stretching the run.
        t0 = Date.now();
        let sent = 0;
        while (sent < total) {
          const due = Math.min(total, sent + 5000, Math.floor(((Date.now() - t0) / 1000) * rate));
          if (due <= sent) {
            await sleep(Math.max(1, Math.min(20, ((sent + 1) / rate) * 1000 - (Date.now() - t0))));
            continue;
          }
          await producer.write(Buffer.concat(frames.slice(sent, due)));
          sent = due;
        }
        await producer.end(); // every record acknowledged
        producedEnd = Date.now();
        await svc.until(() => svc.rows >= total, opts.latencyDrainSeconds * 1000, 'Gold').catch((err: Error) => {
          if (!/timed out/.test(err.message)) throw err; // not keeping up is a result, not a failure
        });
      } finally {
        stoppedAt = Date.now();
        await producer.end().catch(() => undefined); // already ended, unless the run failed first
        peak = (await svc.stop()).peakRssBytes;
      }

      // Record → commit time of the batch that held it.
      const sentAt = await messageTimes(brokers, topic);
      if (sentAt.size !== total) throw new Error(`the topic holds ${sentAt.size} messages, ${total} were sent`);
      const committedAt = new Map<string, number>();
      for (const c of svc.commits) {
        // A batch groups one range per partition (`ranges` in the log); its id names the first.
        const m = BATCH_ID.exec(c.batch.replace(/\+\d+$/, ''));
        if (!m || m[1] !== topic) continue;
        for (const r of c.ranges ?? [{ partition: Number(m[2]), first: m[3]!, last: m[4]! }]) {
          for (let o = Number(r.first); o <= Number(r.last); o++) committedAt.set(`${r.partition}:${o}`, c.time);
        }
      }
      const records: { sent: number; latency: number }[] = [];
      let missing = 0;
      for (const [po, ts] of sentAt) {
        const at = committedAt.get(po);
        if (at === undefined) missing++;
        // Not in Gold when the run stopped: its latency is at least that long (a lower bound).
        records.push({ sent: ts, latency: (at ?? stoppedAt) - ts });
      }
      records.sort((a, b) => a.sent - b.sent);
      const latencies = records.map((x) => x.latency);
      const third = Math.max(1, Math.floor(records.length / 3));
      const early = percentile(latencies.slice(0, third), 50);
      const late = percentile(latencies.slice(-third), 50);
      const offered = total / ((producedEnd - t0) / 1000);
      // Keeping up = no backlog building: everything reached Gold, and records offered in the last
      // third of the load waited (median) no longer than those of the first third, give or take a
      // batch cycle. Latency that grows through the run means records arrive faster than they commit.
      const keepsUp = missing === 0 && late <= 1.5 * early + 1000;
      return {
        seconds: (producedEnd - t0) / 1000,
        metrics: {
          requested_per_s: rate,
          offered_per_s: offered,
          p50_ms: percentile(latencies, 50),
          p99_ms: percentile(latencies, 99),
          max_ms: max(latencies),
          first_third_p50_ms: early,
          last_third_p50_ms: late,
          not_in_gold_fraction: missing / total,
          keeps_up: keepsUp ? 1 : 0,
        },
        peak_rss_mb: peak / 2 ** 20,
        notes: { records: total, batches: svc.commits.length, not_in_gold: missing, waited_after_load_s: (stoppedAt - producedEnd) / 1000 },
      };
    };

    const variants: Variant[] = [
      { id: 'sustained', label: `${fmt(opts.latencyRate)} records/s for ${opts.latencySeconds} s`, ...ctx.plan('latency', 'sustained', { warmup: 1, repeats: 3 }), run: () => measure(opts.latencyRate, opts.latencySeconds) },
      { id: 'target', label: `${fmt(opts.latencyTargetRate)} records/s for ${opts.latencyTargetSeconds} s (target rate)`, ...ctx.plan('latency', 'target', { warmup: 0, repeats: 1 }), run: () => measure(opts.latencyTargetRate, opts.latencyTargetSeconds) },
    ];
    return {
      params: { brokers, partitions: PARTITIONS, locations: opts.omLocations, rate: opts.latencyRate, target_rate: opts.latencyTargetRate, drain_seconds: opts.latencyDrainSeconds, target_p99_ms: TARGET_P99_MS },
      variants,
      cleanup: () => deleteByPrefix(brokers, base),
    };
  },

  assess(r: CaseResult) {
    const t = variant(r, 'target');
    const p99 = t?.summary.p99_ms?.median;
    const keeps = t ? t.summary.keeps_up!.min === 1 : undefined;
    const censored = (t?.summary.not_in_gold_fraction?.max ?? 0) > 0;
    return {
      derived: {},
      targets: [{
        what: `produce → Gold p99 at ${fmt(Number(r.params.target_rate))} records/s`,
        target: 'keeps up, p99 ≤ 2 s',
        measured: t ? `${keeps ? 'keeps up' : 'does not keep up'}, p99 ${censored ? '≥ ' : ''}${fmtAuto(p99! / 1000)} s` : '–',
        met: t ? Boolean(keeps) && p99! <= TARGET_P99_MS : null,
      }],
    };
  },

  render(r: CaseResult) {
    const p = r.params as Record<string, number>;
    const ms = (n: number): string => fmtAuto(n / 1000);
    const lat = (v: VariantResult, k: string): string => `${(v.summary.not_in_gold_fraction?.max ?? 0) > 0 ? '≥ ' : ''}${fmtSummary(v.summary[k], ms)}`;
    const rows = r.variants.map((v) => [
      v.label, runsText(v), fmtSummary(v.summary.offered_per_s, (n) => fmt(n)), lat(v, 'p50_ms'), lat(v, 'p99_ms'), lat(v, 'max_ms'),
      keepsUpText(v),
      rssText(v),
    ]);
    return `## ${r.title}\n\n${caseHeader(r)}\n` +
      `A running \`strata run\` (air_quality topology, Kafka source, ${p.partitions} partitions, ${fmt(p.locations)} locations) while the harness offers readings at a fixed rate through kcat -P (librdkafka, acks=all, fed on the clock by the harness; it shares the machine's cores with Strata). ` +
      'Latency of a record: from its Kafka timestamp (set when it was sent) to the commit of the batch holding its offset, after which it is visible in Gold. ' +
      `"Keeps up": every record reached Gold, and latency did not build up over the run (median latency of the last third of the records ≤ 1.5 × that of the first third + 1 s). ` +
      `A record not in Gold ${fmt(p.drain_seconds)} s after the load ended counts with its latency up to then, so the percentiles become lower bounds (≥).\n\n` +
      table(['offered load', 'runs', 'offered, records/s', 'p50, s', 'p99, s', 'max, s', 'keeps up', 'peak RSS per run, MB'], rows) +
      errorsText(r);
  },
};
