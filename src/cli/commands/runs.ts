import { loadServiceConfig } from '../../config/service.ts';
import type { RunKind } from '../../core/runs.ts';
import { RunHistory } from '../../runtime/runs.ts';
import { openWarehouse } from '../../warehouse/index.ts';
import { formatResult, type OutputFormat } from '../format.ts';

/** `strata runs`: run history, newest first. */
export async function runsCommand(o: { topology?: string; kind?: RunKind; parent?: string; limit: string; format: OutputFormat; config?: string }): Promise<void> {
  const config = await loadServiceConfig(o.config);
  const history = new RunHistory(openWarehouse(config).state);
  const runs = (await history.list({ topology: o.topology, kind: o.kind, parent: o.parent })).slice(0, Number(o.limit));
  if (o.format === 'json') {
    process.stdout.write(`${JSON.stringify(runs)}\n`);
    return;
  }
  const cols = ['id', 'kind', 'topology', 'engine', 'window', 'status', 'started_at', 'ended_at', 'rows_in', 'rows_out', 'rows_rejected', 'attempts', 'application_id', 'error'];
  const rows = runs.map((r) => [r.id, r.kind, r.topology, r.engine ?? '', r.window ? `${r.window.start}..${r.window.end}` : '', r.status, r.started_at, r.ended_at ?? '', r.rows_in ?? '', r.rows_out ?? '', r.rows_rejected ?? '', r.attempts ?? '', r.application_id ?? '', r.error ?? '']);
  process.stdout.write(formatResult(cols, rows, o.format));
}
