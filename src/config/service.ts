import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { validateAgainstSchema } from './schema.ts';
import type { ServiceConfig } from './service-schema.ts';
import { sortProblems, YamlFile } from './yaml-file.ts';

export const DEFAULT_CONFIG_FILE = 'config/default.yaml';

/**
 * Loads the service config: the file (STRATA_CONFIG or config/default.yaml), schema defaults,
 * then the documented environment overrides. Throws ConfigError with file:line:col.
 */
export async function loadServiceConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceConfig> {
  const path = resolve(file ?? env.STRATA_CONFIG ?? DEFAULT_CONFIG_FILE);
  let value: Record<string, unknown> = { service: {} };
  if (existsSync(path)) {
    const { yaml, problems } = await YamlFile.read(path);
    if (problems.length) throw new ConfigError(problems);
    value = (yaml.toJS() ?? {}) as Record<string, unknown>;
    const schemaProblems = validateAgainstSchema('service', value);
    if (schemaProblems.length) throw new ConfigError(sortProblems(schemaProblems.map((p) => yaml.problem(p.path, p.reason, p.atKey))));
  } else if (file ?? env.STRATA_CONFIG) {
    throw new ConfigError([{ file: path, line: 1, col: 1, reason: 'service config file not found' }]);
  }
  validateAgainstSchema('service', value); // fills defaults, sections included
  const cfg = value as unknown as ServiceConfig;
  if (existsSync(path)) cfg.file = path;
  applyEnv(cfg, env, path);
  return cfg;
}

function applyEnv(cfg: ServiceConfig, env: NodeJS.ProcessEnv, file: string): void {
  if (env.STRATA_WAREHOUSE) cfg.service.warehouse = env.STRATA_WAREHOUSE;
  if (env.STRATA_KAFKA_BROKERS !== undefined) {
    cfg.kafka.brokers = env.STRATA_KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (env.STRATA_OPEN_METEO_BASE_URL) cfg.open_meteo.base_url = env.STRATA_OPEN_METEO_BASE_URL;
  if (env.STRATA_TLC_BASE_URL) cfg.tlc.base_url = env.STRATA_TLC_BASE_URL;
  if (env.STRATA_SPARK_MASTER) cfg.spark.master = env.STRATA_SPARK_MASTER;
  if (env.STRATA_METRICS_HOST) cfg.metrics.host = env.STRATA_METRICS_HOST;
  if (env.STRATA_METRICS_PORT) {
    const port = Number(env.STRATA_METRICS_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError([{ file: `env STRATA_METRICS_PORT (with ${file})`, line: 1, col: 1, reason: `not a port number: "${env.STRATA_METRICS_PORT}"` }]);
    }
    cfg.metrics.port = port;
  }
}
