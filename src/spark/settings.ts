import { StringEnum, Strict, Type, type Static } from '../core/schema.ts';

const Memory = Type.String({ pattern: '^[0-9]+[kmgt]?$', default: '512m' });

/** Service config `spark:`: how a backfill chunk is submitted to Spark (one spark-submit per chunk). */
export const SparkSettingsSchema = Strict(
  {
    spark_home: Type.Optional(Type.String({ description: 'Spark installation with bin/spark-submit (default: $SPARK_HOME; scripts/spark/install.sh prints it).' })),
    master: Type.String({ default: 'yarn', description: 'spark-submit --master: yarn, local[2], local[*], … (STRATA_SPARK_MASTER overrides).' }),
    deploy_mode: StringEnum(['client', 'cluster'], { default: 'client', description: 'client: the driver runs in the spark-submit process; cluster: in a YARN container (the warehouse must be on a file system the cluster sees).' }),
    queue: Type.String({ default: 'default', description: 'YARN queue.' }),
    driver_memory: Memory,
    executor_memory: Memory,
    executor_cores: Type.Integer({ minimum: 1, default: 1 }),
    num_executors: Type.Integer({ minimum: 1, default: 1, description: 'Fixed executors (ignored with dynamic allocation).' }),
    dynamic_allocation: Strict(
      {
        enabled: Type.Boolean({ default: false }),
        min_executors: Type.Integer({ minimum: 0, default: 0 }),
        max_executors: Type.Integer({ minimum: 1, default: 4 }),
      },
      { default: {}, description: 'Dynamic executor allocation (with shuffle tracking: no external shuffle service needed).' },
    ),
    conf: Type.Unsafe<Record<string, string | number | boolean>>({ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, default: {}, description: 'Extra --conf key=value pairs (they win over Strata\'s own).' }),
    python: Type.Optional(Type.String({ description: 'Python for the driver and executors (PYSPARK_PYTHON; default: the environment\'s, as set by scripts/spark/install.sh).' })),
    hadoop_conf_dir: Type.Optional(Type.String({ description: 'Directory with yarn-site.xml (default: $HADOOP_CONF_DIR, then $YARN_CONF_DIR).' })),
    resource_manager_url: Type.Optional(Type.String({ format: 'uri', description: 'YARN RM web address for status and kill (default: yarn.resourcemanager.webapp.address in yarn-site.xml).' })),
    timeout_minutes: Type.Number({ exclusiveMinimum: 0, default: 120, description: 'A chunk\'s application is killed after this long (the chunk then fails and is retried).' }),
  },
  { default: {}, description: 'How `strata backfill --engine spark` (or auto above the threshold) submits Silver+Gold of each chunk: one spark-submit (a fresh JVM) per chunk.' },
);
export type SparkSettings = Static<typeof SparkSettingsSchema>;
