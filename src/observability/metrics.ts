import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Strata's metrics, all prefixed `strata_`. One registry per process; the default process metrics
 * are prefixed too (`strata_process_*`, `strata_nodejs_*`).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly recordsIn: Counter<'topology' | 'operator'>;
  readonly recordsOut: Counter<'topology' | 'operator'>;
  readonly recordsRejected: Counter<'topology' | 'operator' | 'reason'>;
  readonly batchDuration: Histogram<'topology' | 'operator'>;
  readonly batchRows: Histogram<'topology'>;
  readonly batches: Counter<'topology' | 'status'>;
  readonly inFlight: Gauge<'topology'>;
  readonly httpRequests: Counter<'client' | 'status'>;
  readonly lastBatchTimestamp: Gauge<'topology'>;
  readonly configReloads: Counter<'result'>;
  readonly topologyUp: Gauge<'topology'>;

  constructor() {
    const r = [this.registry];
    this.recordsIn = new Counter({ name: 'strata_records_in_total', help: 'Records received by an operator.', labelNames: ['topology', 'operator'], registers: r });
    this.recordsOut = new Counter({ name: 'strata_records_out_total', help: 'Records an operator wrote to its table.', labelNames: ['topology', 'operator'], registers: r });
    this.recordsRejected = new Counter({ name: 'strata_records_rejected_total', help: 'Records rejected, by reason.', labelNames: ['topology', 'operator', 'reason'], registers: r });
    this.batchDuration = new Histogram({
      name: 'strata_operator_batch_duration_seconds', help: 'Time an operator spent on one batch.', labelNames: ['topology', 'operator'], registers: r,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.batchRows = new Histogram({
      name: 'strata_batch_rows', help: 'Rows per source batch.', labelNames: ['topology'], registers: r,
      buckets: [1, 10, 100, 1000, 5000, 10000, 50000, 100000, 500000],
    });
    this.batches = new Counter({ name: 'strata_batches_total', help: 'Source batches processed, by outcome.', labelNames: ['topology', 'status'], registers: r });
    this.inFlight = new Gauge({ name: 'strata_batches_in_flight', help: 'Batches being processed.', labelNames: ['topology'], registers: r });
    this.httpRequests = new Counter({ name: 'strata_http_client_requests_total', help: 'Outgoing HTTP requests by client and status (or "error").', labelNames: ['client', 'status'], registers: r });
    this.lastBatchTimestamp = new Gauge({ name: 'strata_last_batch_timestamp_seconds', help: 'Unix time of the last committed batch.', labelNames: ['topology'], registers: r });
    this.configReloads = new Counter({ name: 'strata_config_reloads_total', help: 'Config reloads by result.', labelNames: ['result'], registers: r });
    this.topologyUp = new Gauge({ name: 'strata_topology_up', help: '1 while a topology runs.', labelNames: ['topology'], registers: r });
  }

  /** Adds process metrics (memory, CPU, event-loop lag, GC) under the strata_ prefix. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
    return this;
  }
}
