import { Command, Option } from 'commander';
import { ConfigError, StrataError } from '../core/errors.ts';
// Commands are imported when invoked: `strata validate` should not pay for loading DuckDB.

const program = new Command()
  .name('strata')
  .description('Stream dataflow engine: YAML topologies → RxJS pipelines → DuckDB over Arrow → a Parquet medallion warehouse.')
  .showHelpAfterError()
  .addHelpText('after', `
Environment: STRATA_CONFIG, STRATA_WAREHOUSE, STRATA_KAFKA_BROKERS, STRATA_OPEN_METEO_BASE_URL,
STRATA_METRICS_HOST, STRATA_METRICS_PORT, STRATA_LOG_LEVEL (see README).`);

program
  .command('run')
  .description('run the service: every enabled topology, its schedules, /metrics /healthz /readyz /runs (http.auth_token_env|_file: bearer token for all but /healthz, /metrics)')
  .option('--config <file>', 'service config file (default: $STRATA_CONFIG or config/default.yaml)')
  .action(async (o: { config?: string }) => (await import('./commands/run.ts')).runCommand(o));

program
  .command('validate')
  .description('check topology and config files; prints file:line:col reason per problem, exit 1 if any')
  .argument('<files...>', 'YAML files (topologies or service config)')
  .action(async (files: string[]) => (await import('./commands/validate.ts')).validateCommand(files));

program
  .command('describe')
  .description('print a topology graph')
  .argument('<topology>', 'topology name or file')
  .option('--mermaid', 'print a Mermaid flowchart instead of text')
  .option('--config <file>', 'service config file')
  .action(async (t: string, o: { mermaid?: boolean; config?: string }) => (await import('./commands/describe.ts')).describeCommand(t, o));

program
  .command('backfill')
  .description('process a historical window chunk by chunk (Bronze → Silver → Gold), with retries, resume and run history')
  .requiredOption('--topology <name>', 'topology name or file')
  .requiredOption('--start-date <date>', 'first day, YYYY-MM-DD (UTC)')
  .requiredOption('--end-date <date>', 'last day, YYYY-MM-DD (UTC), not in the future')
  .addOption(new Option('--chunk <size>', 'chunk size (default: service config backfill.chunk, monthly)').choices(['daily', 'weekly', 'monthly']))
  .addOption(new Option('--engine <engine>', 'where chunks run').choices(['auto', 'duckdb', 'spark']).default('auto'))
  .option('--skip-bronze', 'do not fetch: rebuild Silver and Gold from the Bronze already in the warehouse')
  .option('--skip-silver', 'keep Silver as it is')
  .option('--skip-gold', 'do not rebuild Gold')
  .option('--resume', 'skip chunks that an earlier run of the same backfill completed')
  .option('--fail-fast', 'stop at the first chunk that fails (after its retries)')
  .option('--locations <file>', 'locations file (JSON Lines) replacing the topology\'s')
  .option('--warehouse <dir>', 'warehouse directory (overrides STRATA_WAREHOUSE)')
  .option('--plan', 'print the plan and exit')
  .option('--config <file>', 'service config file')
  .action(async (o: import('./commands/backfill.ts').BackfillOptions) => (await import('./commands/backfill.ts')).backfillCommand(o));

program
  .command('runs')
  .description('run history: backfills, chunks and scheduled runs, newest first')
  .option('--topology <name>', 'only this topology')
  .addOption(new Option('--kind <kind>', 'only this kind').choices(['backfill', 'chunk', 'scheduled']))
  .option('--parent <id>', 'only the chunks of this backfill')
  .option('--limit <n>', 'at most this many', '50')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
  .option('--config <file>', 'service config file')
  .action(async (o: Parameters<typeof import('./commands/runs.ts').runsCommand>[0]) => (await import('./commands/runs.ts')).runsCommand(o));

const produce = program.command('produce').description('publish data to Kafka as Avro (needs STRATA_KAFKA_BROKERS or kafka.brokers)');

produce
  .command('open-meteo')
  .description('fetch hourly readings from the Open-Meteo API and publish one message per location-hour (key: location id)')
  .requiredOption('--locations <file>', 'JSON Lines file of locations (id, name, latitude, longitude, timezone)')
  .requiredOption('--start-date <date>', 'first day, YYYY-MM-DD (UTC)')
  .requiredOption('--end-date <date>', 'last day, YYYY-MM-DD (UTC), inclusive')
  .option('--base-url <url>', 'Open-Meteo API base (default: $STRATA_OPEN_METEO_BASE_URL or the config)')
  .option('--topic <topic>', 'topic (default: strata.open_meteo.readings, with kafka.topic_prefix)')
  .option('--config <file>', 'service config file')
  .action(async (o: Parameters<typeof import('./commands/produce.ts').produceOpenMeteoCommand>[0]) => (await import('./commands/produce.ts')).produceOpenMeteoCommand(o));

produce
  .command('taxi')
  .description('publish a TLC trip file (Parquet or CSV) as batches of trips (key: <file>#<batch index>)')
  .option('--file <path>', 'a local TLC trip file')
  .option('--month <YYYY-MM>', 'fetch this month\'s file from the TLC host instead')
  .addOption(new Option('--color <color>', 'with --month: which service').choices(['yellow', 'green']).default('yellow'))
  .option('--base-url <url>', 'with --month: TLC file host (default: $STRATA_TLC_BASE_URL or the TLC\'s)')
  .option('--topic <topic>', 'topic (default: strata.tlc.trips, with kafka.topic_prefix)')
  .option('--batch-rows <n>', 'trips per message', '5000')
  .option('--config <file>', 'service config file')
  .action(async (o: Parameters<typeof import('./commands/produce.ts').produceTaxiCommand>[0]) => (await import('./commands/produce.ts')).produceTaxiCommand(o));

program
  .command('query')
  .description('run SQL over the warehouse tables (bronze.*, silver.*, gold.*)')
  .argument('<sql>', 'the query')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
  .option('--config <file>', 'service config file')
  .action(async (sql: string, o: { format: 'table' | 'json' | 'csv'; config?: string }) => (await import('./commands/query.ts')).queryCommand(sql, o));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else if (err instanceof StrataError) {
    process.stderr.write(`strata: ${err.message}\n`);
  } else {
    process.stderr.write(`strata: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exitCode = 1;
}
