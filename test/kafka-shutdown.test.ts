// A service stopped while its Kafka consumer is still joining the group exits promptly and cleanly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshName, kafkaClient, requireBroker, startStrata, testConfig, waitFor } from './support/kafka.ts';

test('SIGTERM while the consumer is joining its group: the join lands after the stop, and the service still exits 0 at once', { timeout: 120_000 }, async () => {
  await requireBroker();
  const prefix = freshName('shutdown');
  const topic = `${prefix}strata.open_meteo.readings`;
  const group = `${prefix}strata-air_quality-readings_kafka`;
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  // Another member that heartbeats rarely: the service's join then waits seconds for it to rejoin,
  // so the stop lands before the join completes (which once re-opened a connection nothing closed).
  const other = kafka.consumer({ groupId: group, sessionTimeout: 30_000, heartbeatInterval: 8_000 });
  let joined = false;
  other.on(other.events.GROUP_JOIN, () => (joined = true));
  await other.connect();
  await other.subscribe({ topics: [topic], fromBeginning: true });
  await other.run({ eachMessage: async () => {} });
  await waitFor('the other member to join', () => (joined ? true : undefined), 60_000, 100);
  try {
    const { file } = await testConfig({ prefix }); // shutdown_timeout_ms 20 s: a hang shows as a late exit 1
    const svc = await startStrata(file);
    await waitFor('the service to start its topology', () => (/"strata running"/.test(svc.stderr()) ? true : undefined), 60_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    const stoppedAt = Date.now();
    svc.child.kill('SIGTERM');
    const code = await svc.exited();
    const seconds = (Date.now() - stoppedAt) / 1000;
    assert.equal(code, 0, svc.stderr().slice(-2000));
    assert.ok(seconds < 12, `exited ${seconds.toFixed(1)} s after SIGTERM`);
    assert.doesNotMatch(svc.stderr(), /drain timed out/);
  } finally {
    await other.disconnect();
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
