import { Command, Option } from 'commander';
import { ConfigError, StrataError } from '../errors.ts';
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
  .description('run the service: every enabled topology, its schedules, /metrics /healthz /readyz')
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
