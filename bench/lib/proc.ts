/**
 * Child processes of the harness: each measured program runs in its own process group (so a
 * timeout or Ctrl-C stops its whole tree, and nothing else), with its tree's RSS sampled.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.ts';
import { sampleTreeRss, type RssSampler } from './rss.ts';

export const STRATA_BIN = join(ROOT, 'bin/strata.mjs');

const live = new Set<ChildProcess>();

/** Kills every child the harness started that is still running (their whole groups). */
export function killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const c of live) killTree(c, signal);
}

export function killTree(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    /* already gone */
  }
}

export interface MeasuredOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each complete stdout / stderr line. */
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Discard stdout (e.g. kcat's payloads) instead of reading it. */
  discardStdout?: boolean;
  /** Killed (SIGKILL to the group) after this long; the result then has timedOut. */
  timeoutMs?: number;
  rssIntervalMs?: number;
}

export interface MeasuredResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall seconds from spawn to exit. */
  seconds: number;
  peakRssBytes: number;
  stdout: string;
  /** The last 64 kB of stderr. */
  stderrTail: string;
  timedOut: boolean;
}

export interface Measured {
  child: ChildProcess;
  startedAt: number;
  rss: RssSampler;
  /** Resolves when the process has exited (never rejects; check code). */
  done: Promise<MeasuredResult>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves with the result. */
  stop(graceMs?: number): Promise<MeasuredResult>;
}

function lineSplitter(onLine: (l: string) => void): (d: Buffer) => void {
  let buf = '';
  return (d) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  };
}

export function spawnMeasured(cmd: string, args: string[], o: MeasuredOptions = {}): Measured {
  const stdio: StdioOptions = ['ignore', o.discardStdout ? 'ignore' : 'pipe', 'pipe'];
  const startedAt = performance.now();
  const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, stdio, detached: true });
  live.add(child);
  const rss = sampleTreeRss(child.pid!, o.rssIntervalMs);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  if (o.onStdout) child.stdout?.on('data', lineSplitter(o.onStdout));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-65536)));
  if (o.onStderr) child.stderr!.on('data', lineSplitter(o.onStderr));
  const timer = o.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        killTree(child, 'SIGKILL');
      }, o.timeoutMs)
    : undefined;
  const done = new Promise<MeasuredResult>((resolve) => {
    child.once('error', (err) => {
      stderr += `\n${err.message}`;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const seconds = (performance.now() - startedAt) / 1000;
      resolve({ code, signal, seconds, peakRssBytes: rss.stop(), stdout, stderrTail: stderr, timedOut });
    });
  });
  return {
    child,
    startedAt,
    rss,
    done,
    stop: async (graceMs = 30_000) => {
      killTree(child, 'SIGTERM');
      const t = setTimeout(() => killTree(child, 'SIGKILL'), graceMs);
      const r = await done;
      clearTimeout(t);
      return r;
    },
  };
}

/** Runs to completion; throws with the stderr tail unless it exits 0. */
export async function runMeasured(cmd: string, args: string[], o: MeasuredOptions = {}): Promise<MeasuredResult> {
  const r = await spawnMeasured(cmd, args, o).done;
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${o.timeoutMs} ms` : `exited with ${r.code ?? r.signal}`;
    throw new Error(`${[cmd, ...args].join(' ')} ${why}\n${lastLines(r.stderrTail, 15)}`);
  }
  return r;
}

/** `node bin/strata.mjs …`, measured. */
export function strata(args: string[], o: MeasuredOptions = {}): Measured {
  return spawnMeasured(process.execPath, [STRATA_BIN, ...args], o);
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** A JSON log line of the child (pino), or undefined for anything else. */
export function parseLogLine(line: string): Record<string, unknown> & { msg?: string; time?: number } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
