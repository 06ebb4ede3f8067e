import { DuckDBTypeId } from '@duckdb/node-api';
import { loadServiceConfig } from '../../config/service.ts';
import { openDuckDB } from '../../duckdb/instance.ts';
import { StrataError } from '../../core/errors.ts';
import { formatResult, type OutputFormat } from '../format.ts';
import { openWarehouse } from '../../warehouse/index.ts';

/** `strata query SQL`: read-only SQL over views of every warehouse table. */
export async function queryCommand(sql: string, opts: { format: OutputFormat; config?: string }): Promise<void> {
  const config = await loadServiceConfig(opts.config);
  const warehouse = openWarehouse(config);
  const db = await openDuckDB({ ...config.duckdb });
  const conn = await db.connect();
  try {
    let tables: string[] = [];
    let reader;
    try {
      await warehouse.connect(conn);
      // A table changed by a running writer mid-query is read again (warehouse.consistent).
      reader = await warehouse.consistent(async () => {
        tables = await warehouse.attach(conn);
        return conn.runAndReadAll(sql);
      });
    } catch (err) {
      const known = tables.length ? tables.join(', ') : `none yet in ${warehouse.location}`;
      throw new StrataError('QUERY_FAILED', `${(err as Error).message.split('\n')[0]}\n(tables: ${known})`, { sql });
    }
    const dates = new Set(reader.columnTypes().flatMap((t, i) => (t.typeId === DuckDBTypeId.DATE ? [i] : [])));
    process.stdout.write(formatResult(reader.columnNames(), reader.getRowsJS(), opts.format, dates));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
