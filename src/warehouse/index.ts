import { LocalWarehouse } from './local/local.ts';
import type { Warehouse } from './warehouse.ts';

/** The warehouse a service config names: today the local layout in a folder (`service.warehouse`, STRATA_WAREHOUSE). */
export function openWarehouse(config: { service: { warehouse: string } }): Warehouse {
  return new LocalWarehouse(config.service.warehouse);
}
