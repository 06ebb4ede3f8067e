import type { LoadedTopology } from '../components/topology.ts';
import type { ServiceConfig } from '../config/service-schema.ts';
import type { Layer } from '../core/layers.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DateWindow } from '../sources/source.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import type { ChunkSize, EngineChoice, PlannedChunk } from './plan.ts';

export interface BackfillRequest {
  topology: LoadedTopology;
  window: DateWindow;
  chunk: ChunkSize;
  engine: EngineChoice;
  skip: ReadonlySet<Layer>;
  resume: boolean;
  failFast: boolean;
  locations?: string;
}

export interface BackfillProgress {
  chunk: PlannedChunk;
  index: number;
  total: number;
  status: 'started' | 'ok' | 'failed' | 'skipped' | 'retrying';
  rows?: number;
  error?: string;
}

export interface BackfillDeps {
  config: ServiceConfig;
  warehouse: Warehouse;
  log: Logger;
  metrics?: Metrics;
  onProgress?: (p: BackfillProgress) => void;
  signal?: AbortSignal;
}

export interface BackfillResult {
  runId: string;
  status: 'ok' | 'failed' | 'cancelled';
  chunks: { ok: number; failed: number; skipped: number };
  rowsIn: number;
  rowsOut: number;
  rowsRejected: number;
  seconds: number;
}
