import { Column, Inputs, NamedMap, RelativePath, StringEnum, Strict, TableName, Type, type Static } from '../../core/schema.ts';

const DayOffsets = (description: string) =>
  Type.Tuple([Type.Integer({ minimum: -7, maximum: 7 }), Type.Integer({ minimum: -7, maximum: 7 })], { default: [0, 0], description });

export const Materialize = Strict(
  {
    mode: StringEnum(['append', 'upsert', 'recompute'], {
      description:
        'append: one file per batch and partition, named by the batch id (a re-sent batch replaces its own file). upsert: merge by `key`, the latest `order_by` wins. recompute: rebuild every partition the input\'s changes affect, reading the upstream table around them.',
    }),
    table: TableName,
    partition_by: Type.Optional({ ...Column, description: 'A DATE column: Hive partitions `<column>=YYYY-MM-DD`. Omit for a small unpartitioned table.' }),
    key: Type.Optional(Type.Array(Column, { minItems: 1, description: 'Columns that identify a row (upsert).' })),
    order_by: Type.Optional(Type.Array(Column, { minItems: 1, description: 'Upsert: among rows with the same key, the one greatest by these columns wins.' })),
    upstream_partition: Type.Optional({ ...Column, description: 'Recompute: the upstream table\'s DATE partition column (default: the same name as partition_by).' }),
    affects_days: DayOffsets('Recompute: a changed upstream partition d affects target partitions d+a .. d+b.'),
    reads_days: DayOffsets('Recompute: to rebuild target partition t, read upstream partitions t+a .. t+b.'),
  },
  { description: 'How the operator\'s result is written to the warehouse.' },
);
export type MaterializeSpec = Static<typeof Materialize>;

/** A node of type `sql` in a topology. */
export const SqlOperatorConfig = Strict({
  inputs: Inputs({ maxItems: 1 }),
  sql: RelativePath('The model\'s SQL file.'),
  relations: Type.Optional(
    NamedMap(Type.String({ minLength: 1 }), { description: 'Extra relations the SQL may read, by alias: a warehouse table name, or a CSV seed file path.' }),
  ),
  materialize: Materialize,
});
export type SqlOperatorSpec = Static<typeof SqlOperatorConfig>;
