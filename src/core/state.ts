import { join } from 'node:path';

/**
 * Where engine state lives, all under one folder (`$WAREHOUSE/_state` in local mode): the one place
 * its paths are named. Other processes (`strata runs`, a backfill, the service) find each other's
 * files through it.
 */
export class StatePaths {
  constructor(readonly dir: string) {}

  /** Run history, JSON Lines. */
  get runs(): string {
    return join(this.dir, 'runs.jsonl');
  }

  /** Lock files (one backfill per topology). */
  get locks(): string {
    return join(this.dir, 'locks');
  }

  /** Downloads and HTTP responses kept between runs; `sub` names the client (`tlc`, `open-meteo`). */
  cache(sub?: string): string {
    return sub ? join(this.dir, 'cache', sub) : join(this.dir, 'cache');
  }

  /** DuckDB's spill folder. */
  get duckdbTemp(): string {
    return join(this.dir, 'duckdb_tmp');
  }

  /** A schedule's last tick (catch-up after downtime). */
  schedule(topology: string, source: string): string {
    return join(this.dir, 'schedules', `${topology}.${source}.json`);
  }
}
