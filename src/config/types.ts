/** Typed shapes of the files described by schemas/strata.schema.json (kept in step with it). */

export interface ScheduleSpec {
  cron: string;
  timezone?: string;
  overlap?: 'skip' | 'queue';
  catch_up?: boolean;
  run_on_start?: boolean;
}

/** When a source runs: always, only with Kafka brokers configured, or only without. */
export type SourceWhen = 'always' | 'kafka' | 'embedded';

export interface OpenMeteoSourceSpec {
  type: 'open_meteo';
  when?: SourceWhen;
  locations: string;
  schedule?: ScheduleSpec;
  past_days?: number;
  seed?: string;
  batch_rows?: number;
}

export interface TopicSourceSpec {
  type: 'topic';
  when?: SourceWhen;
  topic: string;
  group?: string;
  schema: string;
  writer_schemas?: string[];
  max_message_bytes?: number;
  batch_rows?: number;
  max_wait_ms?: number;
}

/** NYC TLC trip files: local files (globs allowed in the last segment) and/or TLC months to download. */
export interface TlcSourceSpec {
  type: 'tlc';
  when?: SourceWhen;
  files?: string[];
  /** `YYYY-MM` months fetched from the service's tlc.base_url. */
  months?: string[];
  color?: 'yellow' | 'green';
  batch_rows?: number;
}

export type SourceSpec = OpenMeteoSourceSpec | TopicSourceSpec | TlcSourceSpec;

export interface MaterializeSpec {
  mode: 'append' | 'upsert' | 'recompute';
  table: string;
  partition_by?: string;
  key?: string[];
  order_by?: string[];
  upstream_partition?: string;
  affects_days?: [number, number];
  reads_days?: [number, number];
}

export interface BronzeOperatorSpec {
  type: 'bronze';
  inputs: string[];
  table: string;
  partition_by: string;
  partition_expr: string;
}

export interface SqlOperatorSpec {
  type: 'sql';
  inputs: string[];
  sql: string;
  relations?: Record<string, string>;
  materialize: MaterializeSpec;
}

export type OperatorSpec = BronzeOperatorSpec | SqlOperatorSpec;

export interface LogSinkSpec {
  type: 'log';
  inputs: string[];
  level?: 'debug' | 'info';
}

export type SinkSpec = LogSinkSpec;

export interface SeedSpec {
  table: string;
  file: string;
}

export interface TopologySpec {
  name: string;
  description?: string;
  enabled?: boolean;
  vars?: Record<string, string | number>;
  seeds?: SeedSpec[];
  dead_letters?: { table?: string; topic?: string };
  sources: Record<string, SourceSpec>;
  operators: Record<string, OperatorSpec>;
  sinks?: Record<string, SinkSpec>;
}

/** Service config `kafka:` (secrets are named by env var or file, never written in the config). */
export interface KafkaSettings {
  brokers: string[];
  client_id: string;
  /** Prepended to every topic and consumer group a topology names (environments sharing a cluster). */
  topic_prefix: string;
  ssl?: boolean | { ca_file?: string; cert_file?: string; key_file?: string; reject_unauthorized?: boolean };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password_env?: string; password_file?: string };
  connection_timeout_ms: number;
  session_timeout_ms: number;
  /** Longest back-off between attempts to reach the brokers. */
  max_backoff_ms: number;
}

/** Service config `spark:` — how a backfill chunk is submitted to Spark (one spark-submit per chunk). */
export interface SparkSettings {
  spark_home?: string;
  master: string;
  deploy_mode: 'client' | 'cluster';
  queue: string;
  driver_memory: string;
  executor_memory: string;
  executor_cores: number;
  num_executors: number;
  dynamic_allocation: { enabled: boolean; min_executors: number; max_executors: number };
  conf: Record<string, string | number | boolean>;
  python?: string;
  hadoop_conf_dir?: string;
  resource_manager_url?: string;
  timeout_minutes: number;
}

/** A topology as loaded: its spec, the file it came from, and paths resolved against that file. */
export interface LoadedTopology {
  spec: TopologySpec;
  file: string;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  /** Node names in execution order (sources first, then operators, then sinks). */
  order: string[];
}

export interface ServiceConfig {
  service: {
    name: string;
    warehouse: string;
    topologies: string[];
    shutdown_timeout_ms: number;
    /** Apply edits of topology and config files while running (default true). */
    watch?: boolean;
  };
  /** The HTTP server (/metrics, /healthz, /readyz, /runs); /readyz fails when a live topology committed nothing for max_batch_age_seconds (0 = no limit). */
  metrics: { host: string; port: number; enabled: boolean; max_batch_age_seconds: number };
  /**
   * Access to that server: a bearer token for every endpoint but /healthz and /metrics, named by
   * environment variable or file (never written in the config; read by observability/auth.ts).
   */
  http?: { auth_token_env?: string; auth_token_file?: string };
  open_meteo: {
    base_url: string;
    timeout_ms: number;
    retries: number;
    backoff_ms: number;
    cache_ttl_hours: number;
    max_days_per_request: number;
  };
  tlc: { base_url: string; timeout_ms: number; retries: number; backoff_ms: number };
  kafka: KafkaSettings;
  duckdb: { threads?: number; memory_limit: string };
  backfill: { chunk: 'daily' | 'weekly' | 'monthly'; retries: number; retry_backoff_ms: number; spark_threshold_records: number };
  runs: { webhook_url?: string; webhook_retries: number };
  spark: SparkSettings;
  /** The file this was read from (absent for built-in defaults). */
  file?: string;
}
