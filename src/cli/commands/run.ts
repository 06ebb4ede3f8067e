import { loadServiceConfig } from '../../config/service.ts';
import { logger } from '../../observability/logger.ts';
import { Service } from '../../runtime/service.ts';

/** `strata run`: the service until SIGINT/SIGTERM, which drain the in-flight batches and exit 0. */
export async function runCommand(opts: { config?: string }): Promise<void> {
  const log = logger();
  const config = await loadServiceConfig(opts.config);
  const service = new Service(config, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight batches');
    const timer = setTimeout(() => {
      log.error('drain timed out; exiting');
      process.exit(1);
    }, config.service.shutdown_timeout_ms);
    timer.unref();
    service.stop().then(
      () => {
        log.info('stopped');
        log.flush?.();
        process.exitCode = 0;
      },
      (err: Error) => {
        log.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await service.start();
  log.info({ topologies: [...service.pipelines.keys()], metrics: service.url, warehouse: service.warehouse.location }, 'strata running');
}
