import { Inputs, StringEnum, Strict } from '../../core/schema.ts';
import { defineSink } from '../sink.ts';
import { LogSink } from './log.ts';

export const logSink = defineSink({
  type: 'log',
  summary: 'Logs a summary line per batch (rows, partitions).',
  description: 'One log line per committed batch naming, for each input, the table it wrote, how many rows and how many partitions. Useful to watch a topology run, and as the smallest example of a sink.',
  config: Strict({
    inputs: Inputs(),
    level: StringEnum(['debug', 'info'], { default: 'info' }),
  }),
  examples: [{ title: 'Gold activity at debug level', yaml: `summary:\n  type: log\n  inputs: [aqi_hourly, aqi_daily]\n  level: debug` }],
  describe: (s) => `log (${s.level})`,
  build: (name, spec, ctx) => new LogSink(name, spec.level, ctx.log),
});
