import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, mock, test } from 'node:test';
import { Schedule } from '../src/core/schedule.ts';

const MIN = 60_000;

/**
 * Advances the mocked clock in half minutes, letting cron callbacks and promises run between steps.
 * Steps land exactly on whole minutes, where cron fires (node-cron counts a late tick as missed).
 */
async function advance(minutes: number): Promise<void> {
  for (let i = 0; i < minutes * 2; i++) {
    mock.timers.tick(MIN / 2);
    for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
  }
}

/** Collects the ticks a schedule delivers while the clock runs. */
async function ticksOver(schedule: Schedule, minutes: number, runMinutes = 0): Promise<string[]> {
  const fired: string[] = [];
  let stop = false;
  const consumer = (async () => {
    for (;;) {
      const t = await schedule.next();
      if (!t || stop) return;
      fired.push(t.toISOString());
      if (runMinutes) await new Promise((r) => setTimeout(r, runMinutes * MIN)); // a slow run
      await schedule.done(t);
    }
  })();
  await advance(minutes);
  stop = true;
  await schedule.close();
  // Let a run still in progress finish on the mocked clock.
  if (runMinutes) await advance(runMinutes);
  await consumer;
  return fired;
}

afterEach(() => mock.timers.reset());

test('the seed\'s hourly schedule in Asia/Ho_Chi_Minh fires on local hours, across the local day boundary', async () => {
  mock.timers.enable({ apis: ['Date', 'setTimeout', 'setInterval'], now: Date.parse('2024-05-01T15:30:00Z') }); // 22:30 local
  const s = new Schedule({ cron: '0 * * * *', timezone: 'Asia/Ho_Chi_Minh', run_on_start: false });
  await s.start();
  const fired = await ticksOver(s, 3 * 60);
  // 23:00, 00:00 (next local day), 01:00 local = 16:00, 17:00, 18:00 UTC (UTC+7, no DST).
  assert.deepEqual(fired, ['2024-05-01T16:00:00.000Z', '2024-05-01T17:00:00.000Z', '2024-05-01T18:00:00.000Z']);
});

test('a daily 09:00 America/New_York schedule follows the DST change (14:00 UTC, then 13:00 UTC)', async () => {
  mock.timers.enable({ apis: ['Date', 'setTimeout', 'setInterval'], now: Date.parse('2024-03-09T12:00:00Z') });
  const s = new Schedule({ cron: '0 9 * * *', timezone: 'America/New_York', run_on_start: false });
  await s.start();
  const fired = await ticksOver(s, 48 * 60);
  assert.deepEqual(fired, ['2024-03-09T14:00:00.000Z', '2024-03-10T13:00:00.000Z']);
});

test('hourly in New York skips the non-existent 02:00 on the DST night: local 00, 01, 03, 04', async () => {
  mock.timers.enable({ apis: ['Date', 'setTimeout', 'setInterval'], now: Date.parse('2024-03-10T04:30:00Z') }); // 23:30 EST
  const s = new Schedule({ cron: '0 * * * *', timezone: 'America/New_York', run_on_start: false });
  await s.start();
  const fired = await ticksOver(s, 4 * 60);
  const local = fired.map((iso) => new Date(iso).toLocaleTimeString('en-US', { timeZone: 'America/New_York', hour: '2-digit', hourCycle: 'h23' }));
  assert.deepEqual(local, ['00', '01', '03', '04']);
});

test('overlap: skip drops ticks that come during a slow run; queue keeps one', async () => {
  mock.timers.enable({ apis: ['Date', 'setTimeout', 'setInterval'], now: Date.parse('2024-01-01T00:00:00Z') });
  const skip = new Schedule({ cron: '* * * * *', overlap: 'skip', run_on_start: false });
  await skip.start();
  // Every minute a tick; each run takes 150 s: with skip, runs start at minutes 1, 4, 7 (ticks 2, 3, 5, 6 dropped).
  const skipped = await ticksOver(skip, 8, 2.5);
  assert.deepEqual(skipped.map((t) => new Date(t).getUTCMinutes()), [1, 4, 7]);

  mock.timers.reset();
  mock.timers.enable({ apis: ['Date', 'setTimeout', 'setInterval'], now: Date.parse('2024-01-01T00:00:00Z') });
  const queue = new Schedule({ cron: '* * * * *', overlap: 'queue', run_on_start: false });
  await queue.start();
  // With queue, the first tick that came during a run (minute 2) runs as soon as it ends (at 3.5);
  // the next kept one (minute 4) runs after that, at 6. Never two at once, at most one waiting.
  const queued = await ticksOver(queue, 8, 2.5);
  assert.deepEqual(queued.slice(0, 3).map((t) => new Date(t).getUTCMinutes()), [1, 2, 4]);
});

test('catch-up after downtime: a tick missed while down runs once at start, only when configured', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-sched-'));
  const state = join(dir, 'air_quality.readings.json');
  await writeFile(state, JSON.stringify({ last_tick: '2024-05-01T10:00:00.000Z' }));
  mock.timers.enable({ apis: ['Date', 'setTimeout', 'setInterval'], now: Date.parse('2024-05-01T13:20:00Z') }); // down 10:00 → 13:20
  const on = new Schedule({ cron: '0 * * * *', run_on_start: false, catch_up: true }, state);
  assert.equal(await on.missedSinceLastTick(), true);
  await on.start();
  const firedOn = await ticksOver(on, 1);
  assert.deepEqual(firedOn, ['2024-05-01T13:20:00.000Z'], 'one catch-up run at start');

  await writeFile(state, JSON.stringify({ last_tick: '2024-05-01T13:00:00.000Z' }));
  const none = new Schedule({ cron: '0 * * * *', run_on_start: false, catch_up: true }, state);
  assert.equal(await none.missedSinceLastTick(), false, 'no tick due since 13:00');
  await none.close();

  await writeFile(state, JSON.stringify({ last_tick: '2024-05-01T10:00:00.000Z' }));
  const off = new Schedule({ cron: '0 * * * *', run_on_start: false, catch_up: false }, state);
  await off.start();
  assert.deepEqual(await ticksOver(off, 1), [], 'catch_up: false runs nothing at start');
});
