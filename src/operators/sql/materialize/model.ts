import type { TableRef } from '../../../core/component.ts';
import type { BatchContext } from '../../operator.ts';
import type { SqlOperatorSpec } from '../spec.ts';

/** What a materialization needs of the operator: its spec, its table, and running its model. */
export interface Model {
  readonly name: string;
  readonly table: string;
  readonly spec: SqlOperatorSpec;
  /** The table the operator's input writes. */
  readonly upstream?: TableRef;
  /** Runs the model over the `input` view into temp table `out`. */
  runModel(ctx: BatchContext, out: string): Promise<void>;
}
