import { Column, Inputs, Strict, TableName, Type, type Static } from '../../core/schema.ts';

/** A node of type `bronze` in a topology. */
export const BronzeOperatorConfig = Strict({
  inputs: Inputs({ description: 'Sources (usually one; several when, say, a poller and a topic feed the same table).' }),
  table: TableName,
  partition_by: Column,
  partition_expr: Type.String({ minLength: 1, description: 'SQL expression giving the partition DATE from a record, e.g. `CAST(ts_utc AS DATE)`.' }),
});
export type BronzeOperatorSpec = Static<typeof BronzeOperatorConfig>;
