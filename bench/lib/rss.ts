/**
 * Peak resident memory of a process tree, from /proc. Spark backfills fork spark-submit (a JVM)
 * and Python workers in their own process groups, so the tree is found by parent pid, not group.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** pid → parent pid of every process visible now. */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state ppid …
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(rest[1]));
    } catch {
      /* exited while we looked */
    }
  }
  return parents;
}

/** `root` and all its descendants alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentMap()) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** VmRSS and VmHWM (peak RSS) of one process in bytes; undefined once it has exited. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

export interface RssSampler {
  /** Takes one more sample and stops; the peak in bytes. */
  stop(): number;
  /** The peak so far in bytes. */
  readonly peak: number;
}

/**
 * Samples the tree under `root` every `intervalMs`. The peak is the larger of the highest summed
 * VmRSS seen and the highest single-process VmHWM (the kernel's own high-water mark, exact for a
 * lone process however short its spike; a tree's sum is only as good as the sampling).
 */
export function sampleTreeRss(root: number, intervalMs = 200): RssSampler {
  let peak = 0;
  const sample = (): void => {
    let sum = 0;
    for (const pid of processTree(root)) {
      const m = memoryOf(pid);
      if (!m) continue;
      sum += m.rss;
      peak = Math.max(peak, m.hwm);
    }
    peak = Math.max(peak, sum);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
    get peak() {
      return peak;
    },
  };
}
