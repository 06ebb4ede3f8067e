// Real disk faults for a running service's warehouse, made by the OS (no mocks):
// - `tmpfs` (needs root / CAP_SYS_ADMIN, used when mount works): the warehouse is a small tmpfs;
//   "full" fills it with a ballast file (ENOSPC), "read-only" remounts it ro (EROFS);
// - `rlimit` (any user): "full" lowers the service's RLIMIT_FSIZE to 0 with prlimit(1), so every
//   write that grows a file fails with EFBIG (Node ignores SIGXFSZ); "read-only" removes the write
//   bit of the warehouse folders (EACCES) — only when not root, as root ignores permissions.
// STRATA_TEST_DISK_FAULT=tmpfs|rlimit forces one.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskFault {
  name: string;
  /** The OS error a write then fails with: its code, and how DuckDB/Node spell it. */
  expect: RegExp;
  code: string;
  inject(pid: number): Promise<void>;
  clear(pid: number): Promise<void>;
}

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Prepares `warehouse` (an empty folder) and returns the faults this machine can make there. */
export async function diskFaults(warehouse: string): Promise<{ mechanism: string; faults: DiskFault[]; release(): Promise<void> }> {
  await mkdir(warehouse, { recursive: true });
  const forced = process.env.STRATA_TEST_DISK_FAULT;
  if (forced !== 'rlimit') {
    const m = sh('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'tmpfs', warehouse]);
    if (m.ok) return { mechanism: 'tmpfs (64 MB) mounted on the warehouse', faults: tmpfsFaults(warehouse), release: async () => void sh('umount', ['-l', warehouse]) };
    if (forced === 'tmpfs') throw new Error(`cannot mount a tmpfs on ${warehouse} (needs root or CAP_SYS_ADMIN): ${m.out}`);
  }
  if (!sh('prlimit', ['--version']).ok) throw new Error('neither mount(8) (as root) nor prlimit(1) (util-linux) works here: no way to make a real disk fault');
  const faults: DiskFault[] = [fsizeFault()];
  if (process.getuid?.() !== 0) faults.push(chmodFault(warehouse));
  return { mechanism: `RLIMIT_FSIZE via prlimit${faults.length > 1 ? ' and a read-only warehouse (chmod)' : ''}`, faults, release: async () => undefined };
}

function tmpfsFaults(dir: string): DiskFault[] {
  const ballast = join(dir, '_state', 'ballast');
  return [
    {
      name: 'disk full',
      code: 'ENOSPC',
      expect: /ENOSPC|No space left on device/,
      inject: async () => {
        await mkdir(join(dir, '_state'), { recursive: true });
        const f = await open(ballast, 'w');
        const chunk = Buffer.alloc(1 << 20, 1);
        try {
          // Until the file system refuses: then every block is taken and the next write gets ENOSPC.
          for (let size = chunk.length; size >= 1; ) {
            try {
              await f.write(chunk, 0, size);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
              size >>= 1;
            }
          }
        } finally {
          await f.close();
        }
      },
      clear: async () => rm(ballast, { force: true }),
    },
    {
      name: 'read-only disk',
      code: 'EROFS',
      expect: /EROFS|Read-only file system/,
      inject: async () => {
        // A file open for writing at that moment makes the remount fail (EBUSY): try again.
        for (let i = 0; ; i++) {
          const r = sh('mount', ['-o', 'remount,ro', dir]);
          if (r.ok) return;
          if (i >= 50) throw new Error(`remount ro failed: ${r.out}`);
          await sleep(100);
        }
      },
      clear: async () => {
        const r = sh('mount', ['-o', 'remount,rw', dir]);
        if (!r.ok) throw new Error(`remount rw failed: ${r.out}`);
      },
    },
  ];
}

function fsizeFault(): DiskFault {
  const set = (pid: number, limit: string): void => {
    const r = sh('prlimit', ['--pid', String(pid), `--fsize=${limit}`]);
    if (!r.ok) throw new Error(`prlimit --fsize=${limit} failed: ${r.out}`);
  };
  return { name: 'file size limit', code: 'EFBIG', expect: /EFBIG|File too large/, inject: async (pid) => set(pid, '0:'), clear: async (pid) => set(pid, 'unlimited:') };
}

function chmodFault(dir: string): DiskFault {
  const walk = async (d: string, mode: number): Promise<void> => {
    await chmod(d, mode);
    for (const e of await readdir(d, { withFileTypes: true })) if (e.isDirectory()) await walk(join(d, e.name), mode);
  };
  return { name: 'read-only warehouse (permissions)', code: 'EACCES', expect: /EACCES|Permission denied/, inject: async () => walk(dir, 0o555), clear: async () => walk(dir, 0o755) };
}
