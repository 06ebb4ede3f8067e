// docker-compose.yml, the Dockerfile and the Grafana provisioning, checked without a Docker engine:
// Debian's docker-compose parses the file (`config -q`), ajv validates it against the Compose
// Specification's JSON Schema (vendored in schemas/vendor/), images are pinned, and the files the
// stack mounts exist and are valid (promtool for Prometheus's config).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE = join(ROOT, 'docker-compose.yml');
const HINT = 'install Debian\'s package: apt-get install docker-compose prometheus (npm test does)';

interface Service {
  image?: string;
  build?: unknown;
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

function compose(): { services: Record<string, Service>; volumes?: Record<string, unknown> } {
  return parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, Service> };
}

function dropLegacyIds(node: unknown): void {
  if (Array.isArray(node)) node.forEach(dropLegacyIds);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.id === 'string') delete o.id;
    Object.values(o).forEach(dropLegacyIds);
  }
}

/** A tag that names one release: digits and dots, optionally a v and a -variant; never latest. */
const PINNED = /^[^:@]+(:v?\d+(\.\d+){1,3}(-[a-z0-9.-]+)?)(@sha256:[0-9a-f]{64})?$/;

test('docker-compose.yml parses with docker-compose (config -q, no engine needed)', () => {
  const r = spawnSync('docker-compose', ['-f', COMPOSE, 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
  assert.ok(!r.error, `docker-compose not runnable (${r.error?.message}); ${HINT}`);
  assert.equal(r.status, 0, r.stderr);
  // The offline profile parses too (the emulator service).
  const offline = spawnSync('docker-compose', ['-f', COMPOSE, '--profile', 'offline', 'config', '--services'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(offline.status, 0, offline.stderr);
  assert.deepEqual(offline.stdout.trim().split('\n').sort(), ['grafana', 'kafka', 'open-meteo-emulator', 'producer-open-meteo', 'producer-taxi', 'prometheus', 'strata']);
});

test('docker-compose.yml is valid against the Compose Specification JSON Schema', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/vendor/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // "http://…/draft/2019-09/schema#": Ajv2019 knows the meta-schema by its https id
  dropLegacyIds(schema); // draft-04 style `"id": "#/definitions/…"` annotations, which 2019-09 spells $id
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  const validate = ajv.compile(schema);
  // The raw file (anchors resolved, `<<` merge keys applied) is what an engine would read.
  const doc = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as unknown;
  const ok = validate(doc);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  // The validator does reject what the specification does not allow.
  assert.equal(validate({ services: { s: { image: 'x:1.0', restart_policy: 'always' } } }), false, 'unknown service key');
  assert.equal(validate({ services: { s: { image: 'x:1.0', healthcheck: { interval: 'often' } } } }), false, 'bad duration');
});

test('the stack: Kafka (KRaft), Strata, producers, Prometheus scraping Strata, Grafana with provisioning; images pinned', () => {
  const { services, volumes } = compose();
  for (const name of ['kafka', 'strata', 'producer-open-meteo', 'producer-taxi', 'prometheus', 'grafana']) assert.ok(services[name], `service ${name}`);
  for (const [name, s] of Object.entries(services)) {
    assert.ok(s.image, `${name}: an image name`);
    assert.match(s.image!, PINNED, `${name}: image ${s.image} must be pinned to a version`);
  }
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const from = /^FROM\s+(\S+)/m.exec(dockerfile)?.[1];
  assert.match(from ?? '', PINNED, `Dockerfile FROM ${from} must be pinned`);
  assert.match(from!, /^node:20\./, 'Strata runs on Node 20');
  assert.match(dockerfile, /npm ci/);
  assert.match(dockerfile, /CMD \["node", "bin\/strata.mjs", "run"\]/);

  const kafka = services.kafka!;
  assert.match(kafka.image!, /^apache\/kafka:/);
  assert.equal(kafka.environment?.KAFKA_PROCESS_ROLES, 'broker,controller', 'KRaft combined mode, no ZooKeeper');
  const strata = services.strata!;
  assert.equal(strata.environment?.STRATA_METRICS_HOST, '0.0.0.0', 'metrics listen beyond loopback inside the container');
  assert.equal(strata.environment?.STRATA_KAFKA_BROKERS, 'kafka:9092');
  assert.equal(strata.depends_on?.kafka?.condition, 'service_healthy');
  for (const p of ['producer-open-meteo', 'producer-taxi']) assert.equal(services[p]!.environment?.STRATA_KAFKA_BROKERS, 'kafka:9092', p);
  for (const s of Object.values(services)) for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `published port ${p} is bound to loopback`);

  // Every file a service mounts from the repo exists.
  for (const [name, s] of Object.entries(services)) {
    for (const v of s.volumes ?? []) {
      const src = v.split(':')[0]!;
      if (src.startsWith('.')) assert.ok(existsSync(join(ROOT, src)), `${name} mounts ${src}, which is missing`);
      else assert.ok(volumes && src in volumes, `${name} uses volume ${src}, which is not declared`);
    }
  }
  // Prometheus scrapes Strata by its service name and metrics port.
  const prom = parse(readFileSync(join(ROOT, 'deploy/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  const job = prom.scrape_configs.find((j) => j.job_name === 'strata');
  assert.deepEqual(job?.static_configs[0]?.targets, [`strata:${strata.environment?.STRATA_METRICS_PORT}`]);
  const check = spawnSync('promtool', ['check', 'config', join(ROOT, 'deploy/prometheus.yml')], { encoding: 'utf8' });
  assert.ok(!check.error, `promtool not runnable; ${HINT}`);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  // Grafana's data source points at that Prometheus.
  const ds = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: { url: string; type: string }[] };
  assert.equal(ds.datasources[0]?.type, 'prometheus');
  assert.equal(ds.datasources[0]?.url, 'http://prometheus:9090');
  const board = parse(readFileSync(join(ROOT, 'grafana/provisioning/dashboards/strata.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
  const mount = services.grafana!.volumes!.find((v) => v.startsWith('./grafana/dashboards:'));
  assert.equal(mount?.split(':')[1], board.providers[0]?.options.path, 'Grafana reads the dashboards where they are mounted');
});
