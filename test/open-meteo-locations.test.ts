import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../src/core/errors.ts';
import { loadLocations } from '../src/sources/open-meteo/locations.ts';

const SHIPPED = new URL('../config/locations.jsonl', import.meta.url).pathname;

async function withFile(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-loc-'));
  const file = join(dir, 'locations.jsonl');
  try {
    await writeFile(file, text);
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rejectsAt(text: string, line: number, field: string, pattern: RegExp): Promise<void> {
  await withFile(text, async (file) => {
    await assert.rejects(loadLocations(file), (err: unknown) => {
      assert.ok(err instanceof DataError, String(err));
      assert.equal(err.context.line, line);
      assert.equal(err.context.field, field);
      assert.ok(err.message.startsWith(`${file}:${line}: field '${field}'`), err.message);
      assert.match(err.message, pattern);
      return true;
    });
  });
}

test('the shipped config/locations.jsonl loads: 8 cities with valid zones', async () => {
  const locs = await loadLocations(SHIPPED);
  assert.deepEqual(locs.map((l) => l.id), ['hcmc', 'hanoi', 'beijing', 'amsterdam', 'new_york', 'delhi', 'sao_paulo', 'sydney']);
  const sp = locs.find((l) => l.id === 'sao_paulo')!;
  assert.deepEqual(sp, { id: 'sao_paulo', name: 'São Paulo', latitude: -23.5505, longitude: -46.6333, timezone: 'America/Sao_Paulo' });
});

test('blank lines and CRLF are ignored; extra fields are dropped', async () => {
  const text = '\r\n{"id":"a","name":"A","latitude":1,"longitude":2,"timezone":"UTC","country":"X"}\r\n\r\n   \n{"id":"b","name":"B","latitude":-90,"longitude":180,"timezone":"Europe/Amsterdam"}';
  await withFile(text, async (file) => {
    assert.deepEqual(await loadLocations(file), [
      { id: 'a', name: 'A', latitude: 1, longitude: 2, timezone: 'UTC' },
      { id: 'b', name: 'B', latitude: -90, longitude: 180, timezone: 'Europe/Amsterdam' },
    ]);
  });
});

test('bad lines are reported as file:line and field', async () => {
  const ok = '{"id":"a","name":"A","latitude":1,"longitude":2,"timezone":"UTC"}\n\n';
  await rejectsAt(`${ok}{"id":"b","name":"B","latitude":91,"longitude":2,"timezone":"UTC"}\n`, 3, 'latitude', /\[-90, 90\], got 91/);
  await rejectsAt(`${ok}{"id":"b","name":"B","latitude":1,"longitude":-181,"timezone":"UTC"}\n`, 3, 'longitude', /got -181/);
  await rejectsAt(`${ok}{"id":"b","name":"B","latitude":"1","longitude":2,"timezone":"UTC"}\n`, 3, 'latitude', /got "1"/);
  await rejectsAt(`${ok}{"id":"b","name":"B","latitude":1,"longitude":2,"timezone":"Mars/Olympus"}\n`, 3, 'timezone', /IANA/);
  await rejectsAt(`${ok}{"id":"b","name":"B","latitude":1,"longitude":2,"timezone":"+07:00"}\n`, 3, 'timezone', /IANA/);
  await rejectsAt(`${ok}{"id":"b","name":"B","latitude":1,"longitude":2}\n`, 3, 'timezone', /got nothing/);
  await rejectsAt(`${ok}{"id":"","name":"B","latitude":1,"longitude":2,"timezone":"UTC"}\n`, 3, 'id', /non-empty/);
  await rejectsAt(`${ok}{"id":"b","name":" ","latitude":1,"longitude":2,"timezone":"UTC"}\n`, 3, 'name', /non-empty/);
  await rejectsAt(`${ok}{"id":"a","name":"A2","latitude":1,"longitude":2,"timezone":"UTC"}\n`, 3, 'id', /duplicate id 'a' \(first defined at .*:1\)/);
});

test('invalid JSON and non-objects name the line; a missing file is a DataError', async () => {
  await withFile('{"id":"a",\n', async (file) => {
    await assert.rejects(loadLocations(file), (err: unknown) => err instanceof DataError && err.message.startsWith(`${file}:1: invalid JSON`));
  });
  await withFile('\n[1,2]\n', async (file) => {
    await assert.rejects(loadLocations(file), (err: unknown) => err instanceof DataError && err.message === `${file}:2: expected a JSON object`);
  });
  await assert.rejects(loadLocations('/nonexistent/locations.jsonl'), (err: unknown) => err instanceof DataError && err.code === 'LOCATIONS_UNREADABLE');
});
