import { dirname, resolve } from 'node:path';
import { isFile } from '../../core/globs.ts';
import { AvroDecoder, loadSchemaFile, loadSchemas } from '../../avro/codec.ts';
import { defineSource } from '../source.ts';
import { TopicSource } from './source.ts';
import { TopicSourceConfig } from './spec.ts';

export const topicSource = defineSource({
  type: 'topic',
  summary: 'Reads a topic: Kafka when brokers are configured, otherwise the embedded in-process transport.',
  description: [
    'Decodes Avro messages (single-object encoding: a fingerprint names the writer schema) into the reader schema and batches them across partitions, up to `batch_rows` or `max_wait_ms`.',
    'A message that cannot be decoded or validated never stops the source: it is dead-lettered — to the topology\'s dead-letter table, and to its dead-letter topic when one is set — with its reason, topic, partition, offset and original bytes.',
    'Offsets are committed only after every operator committed the batch. A batch id is derived from (topic, partition, first offset, last offset), and the range is recorded before it is processed, so a range re-delivered after a crash or a rebalance rewrites the same files: effectively once.',
  ].join('\n\n'),
  config: TopicSourceConfig,
  examples: [
    {
      title: 'Open-Meteo readings from Kafka, only when brokers are configured',
      yaml: `readings_kafka:\n  type: topic\n  when: kafka\n  topic: strata.open_meteo.readings\n  schema: ../schemas/avro/open_meteo_reading.avsc\n  batch_rows: 100000`,
    },
  ],
  files: (s) => [
    { at: ['schema'], path: s.schema, what: 'Avro schema file', kind: 'file' },
    ...(s.writer_schemas ?? []).map((path, i) => ({ at: ['writer_schemas', i], path, what: 'Avro schema file or folder', kind: 'any' as const })),
  ],
  check(s, ctx) {
    // About content: a missing or misplaced file is reported by the generic file check.
    const avsc = ctx.resolve(s.schema);
    if (avsc.escapes || !isFile(avsc.path)) return;
    try {
      loadSchemaFile(avsc.path);
    } catch (err) {
      ctx.problem(['schema'], `sources.${ctx.name}.schema: ${(err as Error).message}`);
    }
  },
  describe: (s) => `topic(${s.topic}, ${s.schema}${s.when !== 'always' ? `, when ${s.when}` : ''})`,
  build(name, spec, ctx) {
    const reader = loadSchemaFile(resolve(ctx.baseDir, spec.schema));
    const writers = loadSchemas((spec.writer_schemas ?? [dirname(spec.schema)]).map((p) => resolve(ctx.baseDir, p)));
    return new TopicSource(name, spec, {
      topology: ctx.topology,
      transport: ctx.transport(),
      topic: ctx.topicName(spec.topic),
      group: ctx.topicName(spec.group ?? `strata-${ctx.topology}-${name}`),
      deadLetterTopic: ctx.deadLetterTopic,
      decoder: new AvroDecoder(reader, writers, spec.max_message_bytes),
      log: ctx.log,
      metrics: ctx.metrics,
    });
  },
});
