import { EnvName, Strict, Type, type Static } from '../core/schema.ts';

/** Service config `metrics:`: the HTTP server for /metrics, /healthz, /readyz and /runs. */
export const MetricsSettingsSchema = Strict({
  host: Type.String({ default: '127.0.0.1', description: 'Address the /metrics, /healthz, /readyz and /runs server binds to (STRATA_METRICS_HOST). Keep 127.0.0.1 unless something else must scrape it (0.0.0.0 in a container).' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'Port of that server (STRATA_METRICS_PORT); 0 picks a free one.' }),
  enabled: Type.Boolean({ default: true }),
  max_batch_age_seconds: Type.Integer({ minimum: 0, default: 7200, description: '/readyz reports a topology not ready when a source is still live and no batch was committed for this long (2 h covers an hourly schedule); 0 = no limit, e.g. for a topic that may stay idle.' }),
}, { default: {} });
export type MetricsSettings = Static<typeof MetricsSettingsSchema>;

/** Service config `http:`: a bearer token for the HTTP server, named by environment variable or file. */
export const HttpSettingsSchema = Strict(
  {
    auth_token_env: Type.Optional({ ...EnvName, description: 'Name of the environment variable holding the bearer token (e.g. STRATA_HTTP_TOKEN). The service refuses to start when it is unset or empty.' }),
    auth_token_file: Type.Optional(Type.String({ description: 'File holding the bearer token (trailing newline ignored; relative to the working directory), e.g. a mounted secret. Set one of auth_token_env and auth_token_file.' })),
  },
  {
    description:
      'Access to the HTTP server at metrics.host:metrics.port. With a bearer token configured, every endpoint except /healthz and /metrics (left open for liveness probes and Prometheus scrapes) needs `Authorization: Bearer <token>`; a missing or wrong token gets 401, `WWW-Authenticate: Bearer` and a JSON error. The token is read from an environment variable or a file (at start, and again when this file is reloaded), never written here, and never logged. Unset: no authentication.',
  },
);
export type HttpSettings = Static<typeof HttpSettingsSchema>;
