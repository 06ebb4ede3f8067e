import { RelativePath, Strict, TopicName, Type, type Static } from '../../core/schema.ts';
import { SOURCE_COMMON } from '../source.ts';

/** A node of type `topic` in a topology. */
export const TopicSourceConfig = Strict({
  ...SOURCE_COMMON,
  topic: { ...TopicName, description: 'Topic name (the service\'s kafka.topic_prefix is prepended).' },
  group: Type.Optional(Type.String({ minLength: 1, description: 'Consumer group; defaults to `strata-<topology>-<source>` (kafka.topic_prefix is prepended).' })),
  schema: RelativePath('Avro schema file (.avsc): the reader schema messages are decoded into.'),
  writer_schemas: Type.Optional(
    Type.Array(RelativePath('An .avsc file or a folder of them.'), {
      description: 'Older versions (.avsc files or folders) whose messages are still accepted; default: every .avsc in the schema\'s folder. A message naming any other fingerprint is dead-lettered as unknown_schema_version.',
    }),
  ),
  max_message_bytes: Type.Integer({ minimum: 16, default: 8388608, description: 'Larger messages are dead-lettered as oversized_message.' }),
  batch_rows: Type.Integer({
    minimum: 1,
    default: 5000,
    description: 'Most rows in one batch. A batch takes what the consumer has fetched, across partitions, up to this: under load batches grow and their fixed cost (Silver merge, Gold recompute) is shared by more records; at a low rate they stay small and fast.',
  }),
  max_wait_ms: Type.Integer({ minimum: 1, default: 500, description: 'Longest wait for a batch to fill before it is processed anyway.' }),
});
export type TopicSourceSpec = Static<typeof TopicSourceConfig>;
