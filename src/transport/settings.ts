import { EnvName, StringEnum, Strict, Type, type Static } from '../core/schema.ts';

/** Service config `kafka:`. Secrets are named by environment variable or file, never written in the config. */
export const KafkaSettingsSchema = Strict({
  brokers: Type.Array(Type.String(), { default: [], description: 'Unset or empty: the embedded in-process transport. STRATA_KAFKA_BROKERS overrides.' }),
  client_id: Type.String({ default: 'strata' }),
  topic_prefix: Type.String({ pattern: '^[A-Za-z0-9._-]{0,100}$', default: '', description: 'Prepended to every topic and consumer group a topology names (e.g. `staging.`).' }),
  ssl: Type.Optional(
    Type.Union(
      [
        Type.Boolean(),
        Strict({
          ca_file: Type.Optional(Type.String()),
          cert_file: Type.Optional(Type.String()),
          key_file: Type.Optional(Type.String()),
          reject_unauthorized: Type.Boolean({ default: true }),
        }),
      ],
      { description: 'TLS to the brokers: true (system CAs), or files.' },
    ),
  ),
  sasl: Type.Optional(
    Strict(
      {
        mechanism: StringEnum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: Type.String({ minLength: 1 }),
        password_env: Type.Optional({ ...EnvName, description: 'Name of the environment variable holding the password.' }),
        password_file: Type.Optional(Type.String({ description: 'File holding the password (trailing newline ignored).' })),
      },
      { description: 'SASL authentication. The password is read from an environment variable or a file, never written here, and never logged.' },
    ),
  ),
  connection_timeout_ms: Type.Integer({ minimum: 100, default: 3000 }),
  session_timeout_ms: Type.Integer({ minimum: 6000, default: 30000, description: 'Consumer group session timeout; a consumer silent this long loses its partitions.' }),
  max_backoff_ms: Type.Integer({ minimum: 100, default: 15000, description: 'Longest wait between attempts to reach the brokers.' }),
}, { default: {} });
export type KafkaSettings = Static<typeof KafkaSettingsSchema>;
