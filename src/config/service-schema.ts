/**
 * The service config's schema: its own sections (service, backfill, runs) and the sections modules
 * own (kafka, duckdb, metrics, http, spark) or component types own (open_meteo, tlc — from the
 * registry), assembled into one.
 */
import type { SettingsSection } from '../core/component.ts';
import { StringEnum, Strict, Type, type Static, type TObject } from '../core/schema.ts';
import { SOURCES } from '../components/registry.ts';
import { DuckDBSettingsSchema } from '../duckdb/settings.ts';
import { HttpSettingsSchema, MetricsSettingsSchema } from '../observability/settings.ts';
import { SparkSettingsSchema } from '../spark/settings.ts';
import { KafkaSettingsSchema } from '../transport/settings.ts';

export const ServiceSection = Strict(
  {
    name: Type.String({ default: 'strata' }),
    warehouse: Type.String({ default: './warehouse', description: 'Warehouse directory (relative to the working directory).' }),
    topologies: Type.Array(Type.String(), { default: ['topologies'], description: 'Topology files or folders (relative to this file).' }),
    shutdown_timeout_ms: Type.Integer({ minimum: 0, default: 30000 }),
    watch: Type.Boolean({
      default: true,
      description:
        'Apply edits of topology files, the files they read, and this file while running. An invalid edit is rejected (file:line:col in the log, strata_config_reloads_total{result="rejected"}) and the running version stays.',
    }),
  },
);

export const BackfillSection = Strict(
  {
    chunk: StringEnum(['daily', 'weekly', 'monthly'], { default: 'monthly' }),
    retries: Type.Integer({ minimum: 1, default: 3, description: 'Attempts per chunk before it is recorded as failed.' }),
    retry_backoff_ms: Type.Integer({ minimum: 0, default: 2000, description: 'Back-off base between chunk attempts (doubles each time).' }),
    spark_threshold_records: Type.Integer({ minimum: 0, default: 200000000, description: '`--engine auto` submits a window to Spark when it holds more source records than this.' }),
  },
  { default: {}, description: 'Defaults for `strata backfill`.' },
);

export const RunsSection = Strict(
  {
    webhook_url: Type.Optional(Type.String({ format: 'uri', description: 'POSTed a JSON body for every failed run (retried with back-off).' })),
    webhook_retries: Type.Integer({ minimum: 0, default: 3 }),
  },
  { default: {}, description: 'Run history and notifications.' },
);

/** Sections owned by component types, from their definitions (`settings`). */
const componentSections = Object.fromEntries(
  (SOURCES as readonly { settings?: SettingsSection }[]).flatMap((d) => (d.settings ? [[d.settings.key, d.settings.schema]] : [])),
) as Record<string, TObject>;

export const ServiceConfigSchema = Strict(
  {
    service: ServiceSection,
    metrics: MetricsSettingsSchema,
    http: Type.Optional(HttpSettingsSchema),
    ...componentSections,
    kafka: KafkaSettingsSchema,
    backfill: BackfillSection,
    spark: SparkSettingsSchema,
    runs: RunsSection,
    duckdb: DuckDBSettingsSchema,
  },
  {
    description:
      'The service config (config/default.yaml). Environment variables override it: STRATA_WAREHOUSE, STRATA_KAFKA_BROKERS, STRATA_OPEN_METEO_BASE_URL, STRATA_TLC_BASE_URL, STRATA_METRICS_HOST, STRATA_METRICS_PORT, STRATA_LOG_LEVEL.',
  },
);

/** Each source type's settings section, by its key (`open_meteo: OpenMeteoSettings`, …). */
type SettingsOf<D> = D extends { settings?: SettingsSection<infer K, infer S> } ? ([K] extends [never] ? object : { [P in K]: Static<S> }) : object;
type ComponentSettings = UnionToIntersection<SettingsOf<(typeof SOURCES)[number]>>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

export type ServiceConfig = Static<typeof ServiceConfigSchema> &
  ComponentSettings & {
    /** The file this was read from (absent for built-in defaults). */
    file?: string;
  };
