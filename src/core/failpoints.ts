/**
 * Failpoints for crash testing (as in FreeBSD's fail(9) or TiKV's fail-rs): named places where the
 * process can be made to die. Inert unless STRATA_FAILPOINTS is set, e.g.
 * `STRATA_FAILPOINTS=warehouse.before_rename:3` kills the process (SIGKILL, no clean-up at all)
 * the 3rd time that point is reached. Used by test/crash.test.ts.
 */
const armed = new Map<string, number>();
for (const spec of (process.env.STRATA_FAILPOINTS ?? '').split(',').filter(Boolean)) {
  const [name, n] = spec.split(':');
  if (name) armed.set(name, Number(n ?? 1));
}
const hits = new Map<string, number>();

export function failpoint(name: string): void {
  if (armed.size === 0) return;
  const target = armed.get(name);
  if (target === undefined) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n === target) {
    process.stderr.write(`failpoint ${name} hit ${n}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
