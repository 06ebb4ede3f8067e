import { dirname, resolve } from 'node:path';
import { AvroDecoder, loadSchemaFile, loadSchemas } from '../../avro/codec.ts';
import type { LoadedTopology, ServiceConfig, TopicSourceSpec } from '../../config/types.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { prefixed } from '../../transport/index.ts';
import type { Transport } from '../../transport/transport.ts';
import { TopicSource } from './source.ts';

/** A `topic` source from its spec: reader schema, known writer versions, names with the prefix. */
export function buildTopicSource(
  topo: LoadedTopology,
  name: string,
  s: TopicSourceSpec,
  transport: Transport,
  deps: { config: ServiceConfig; log: Logger; metrics?: Metrics },
): TopicSource {
  const { spec, baseDir } = topo;
  const reader = loadSchemaFile(resolve(baseDir, s.schema));
  const writers = loadSchemas((s.writer_schemas ?? [dirname(s.schema)]).map((p) => resolve(baseDir, p)));
  const dlq = spec.dead_letters?.topic;
  return new TopicSource(name, s, {
    topology: spec.name,
    transport,
    topic: prefixed(deps.config, s.topic),
    group: prefixed(deps.config, s.group ?? `strata-${spec.name}-${name}`),
    deadLetterTopic: dlq ? prefixed(deps.config, dlq) : undefined,
    decoder: new AvroDecoder(reader, writers, s.max_message_bytes ?? 8 * 1024 * 1024),
    log: deps.log.child({ source: name }),
    metrics: deps.metrics,
  });
}
