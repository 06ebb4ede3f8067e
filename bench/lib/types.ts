import type { MachineInfo } from './machine.ts';
import type { Summary } from './stats.ts';

/** One timed run of a variant, as the case measured it. */
export interface RunSample {
  /** The timed interval (what the case defines as the work), seconds. */
  seconds: number;
  /** Named figures of the run (records_per_s, mb_per_s, p99_ms, …). */
  metrics: Record<string, number>;
  /** Peak RSS of the measured process tree, MB (2^20 bytes). */
  peak_rss_mb: number;
  /** Facts worth keeping that are not figures (batch counts, application ids, …). */
  notes?: Record<string, string | number | boolean>;
}

export interface RecordedRun extends RunSample {
  index: number;
  warmup: boolean;
}

/** Something measured several times: e.g. Strata on a topic, or kcat on the same topic. */
export interface Variant {
  id: string;
  label: string;
  warmup: number;
  repeats: number;
  /** Per-run timeout; the run's process tree is killed after it. */
  run(index: number, warmup: boolean): Promise<RunSample>;
}

export interface VariantResult {
  id: string;
  label: string;
  warmup: number;
  repeats: number;
  runs: RecordedRun[];
  /** Over the measured (non-warm-up) runs: seconds, peak_rss_mb and every metric. */
  summary: Record<string, Summary>;
  error?: string;
}

export interface TargetCheck {
  what: string;
  target: string;
  measured: string;
  /** null: not measured in this run (a variant was not selected, or failed). */
  met: boolean | null;
}

export interface CaseResult {
  case: string;
  title: string;
  quick: boolean;
  command: string;
  started_at: string;
  finished_at: string;
  machine: MachineInfo;
  params: Record<string, unknown>;
  variants: VariantResult[];
  derived: Record<string, number>;
  targets: TargetCheck[];
  notes: string[];
  error?: string;
}

export interface BenchOptions {
  quick: boolean;
  repeats?: number;
  warmup?: number;
  runs: Record<string, number>;
  out: string;
  markdown: string;
  brokers: string;
  keep: boolean;
  omReadings: number;
  omLocations: number;
  taxiStreamRows: number;
  latencyRate: number;
  latencySeconds: number;
  latencyTargetRate: number;
  latencyTargetSeconds: number;
  latencyDrainSeconds: number;
  backfillStart: string;
  backfillEnd: string;
  backfillLocations: number;
  backfillEngines: string[];
  sparkMaster: string;
  taxiRows: number;
}

export interface CaseContext {
  opts: BenchOptions;
  /** Scratch space for this case (warehouses, configs); removed afterwards unless --keep. */
  workDir: string;
  /** Warm-up and measured runs of `caseName.variantId`: the case's default unless overridden. */
  plan(caseName: string, variantId: string, defaults: { warmup: number; repeats: number }): { warmup: number; repeats: number };
}

export interface CaseSetup {
  params: Record<string, unknown>;
  variants: Variant[];
  notes?: string[];
  cleanup?: () => Promise<void>;
}

export interface BenchCase {
  name: string;
  title: string;
  /** Untimed preparation (data, topics, Bronze); returns the variants to run. */
  setup(ctx: CaseContext): Promise<CaseSetup>;
  /** Ratios and target checks from the variants' summaries. */
  assess(r: CaseResult): { derived: Record<string, number>; targets: TargetCheck[] };
  /** The case's Markdown section (a heading, a table, notes). */
  render(r: CaseResult): string;
}
