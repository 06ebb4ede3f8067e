import { request } from 'undici';
import type { ServiceConfig } from '../config/service-schema.ts';
import type { Logger } from '../observability/logger.ts';
import { backoffMs, pause } from '../core/retry.ts';
import type { RunRecord } from '../core/runs.ts';

/** POSTs a failed run to the configured webhook, retried with back-off; never throws (a notification must not fail the run). */
export async function notifyFailure(config: ServiceConfig, run: RunRecord, log: Logger): Promise<boolean> {
  const url = config.runs.webhook_url;
  if (!url) return false;
  const body = JSON.stringify({ event: 'run_failed', service: config.service.name, run });
  for (let attempt = 0; attempt <= config.runs.webhook_retries; attempt++) {
    try {
      const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.dump();
      if (res.statusCode < 300) return true;
      log.warn({ status: res.statusCode, attempt }, 'run-failure webhook answered with an error');
    } catch (err) {
      log.warn({ err, attempt }, 'run-failure webhook unreachable');
    }
    if (attempt < config.runs.webhook_retries) await pause(backoffMs(attempt, 500, 30_000));
  }
  log.error({ run: run.id }, 'run-failure webhook gave up');
  return false;
}
