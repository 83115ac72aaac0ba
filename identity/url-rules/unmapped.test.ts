import { asc } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { unmappedPaths } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { testClock } from '../../test/support/app.ts';
import { createUnmappedRecorder, listUnmapped, resolveUnmapped, unmappedKey } from './unmapped.ts';

const database = privateTestDatabase();

async function stored() {
  return database.db
    .select({
      path: unmappedPaths.path,
      hits: unmappedPaths.hits,
      firstSeenAt: unmappedPaths.firstSeenAt,
      lastSeenAt: unmappedPaths.lastSeenAt,
      resolvedAt: unmappedPaths.resolvedAt,
    })
    .from(unmappedPaths)
    .orderBy(asc(unmappedPaths.path));
}

describe('unmappedKey', () => {
  it.each([
    ['/patients/maria.lopez@example.org/chart', '/patients/:email/chart'],
    ['/records/123456/labs?name=Maria&dob=1980-01-01', '/records/:id/labs'],
    ['/visit/3f2b8c1e-9a7d-4c2e-8f1a-2b3c4d5e6f70', '/visit/:uuid'],
    ['/reset/eyJhbGciOiJIUzI1NiJ9abcdefghijkl', '/reset/:token'],
    ['/call/+1%20(555)%20010-0100', '/call/:phone'],
    ['/MRN-000123/summary/', '/:id/summary'],
    ['//old//page/', '/old/page'],
    ['/old/%70age', '/old/page'],
    ['/a\\b', '/:unreadable'],
  ])('%s is counted as %s', (raw, key) => {
    expect(unmappedKey(raw)).toBe(key);
  });

  it('cuts very long paths at a segment', () => {
    const key = unmappedKey(
      `/${Array.from({ length: 80 }, (_, i) => `part${String.fromCharCode(97 + (i % 26))}`).join('/')}`,
    );
    expect(key.length).toBeLessThanOrEqual(300);
    expect(key.endsWith('/:more')).toBe(true);
  });
});

describe('createUnmappedRecorder', () => {
  it('counts in memory and writes everything in one statement when flushed', async () => {
    const clock = testClock(Date.parse('2026-03-01T10:00:00Z'));
    const recorder = createUnmappedRecorder({ db: database.db, flushEveryMs: 0, now: clock.now });
    expect(recorder.record('/old-page')).toBe('/old-page');
    clock.advance(60_000);
    recorder.record('/old-page/');
    recorder.record('/records/99887766');
    expect(recorder.pending).toBe(2);
    // Nothing is written until the flush: a request never waits on the database.
    expect(await stored()).toEqual([]);
    await recorder.flush();
    expect(recorder.pending).toBe(0);
    expect(await stored()).toEqual([
      {
        path: '/old-page',
        hits: 2,
        firstSeenAt: new Date('2026-03-01T10:00:00Z'),
        lastSeenAt: new Date('2026-03-01T10:01:00Z'),
        resolvedAt: null,
      },
      {
        path: '/records/:id',
        hits: 1,
        firstSeenAt: new Date('2026-03-01T10:01:00Z'),
        lastSeenAt: new Date('2026-03-01T10:01:00Z'),
        resolvedAt: null,
      },
    ]);

    // Later counts add up; first seen stays.
    clock.advance(60_000);
    recorder.record('/old-page');
    await recorder.close();
    const [row] = await stored();
    expect(row).toMatchObject({
      hits: 3,
      firstSeenAt: new Date('2026-03-01T10:00:00Z'),
      lastSeenAt: new Date('2026-03-01T10:02:00Z'),
    });
  });

  it('writes on its own every few seconds', async () => {
    const recorder = createUnmappedRecorder({ db: database.db, flushEveryMs: 20 });
    try {
      recorder.record('/timer');
      await expect
        .poll(async () => (await stored()).map((r) => r.path), { timeout: 5000 })
        .toEqual(['/timer']);
    } finally {
      await recorder.close();
    }
  });

  it('holds a bounded number of distinct paths between writes', async () => {
    const recorder = createUnmappedRecorder({ db: database.db, flushEveryMs: 0, maxPending: 2 });
    recorder.record('/a');
    recorder.record('/b');
    recorder.record('/c');
    recorder.record('/a');
    expect(recorder.pending).toBe(2);
    await recorder.close();
    expect((await stored()).map((r) => [r.path, r.hits])).toEqual([
      ['/a', 2],
      ['/b', 1],
    ]);
  });
});

describe('listUnmapped and resolveUnmapped', () => {
  it('lists unresolved paths by hits, and a resolved path that is hit again comes back', async () => {
    const recorder = createUnmappedRecorder({ db: database.db, flushEveryMs: 0 });
    for (const [path, hits] of [
      ['/rare', 1],
      ['/often', 5],
      ['/sometimes', 3],
    ] as const)
      for (let i = 0; i < hits; i++) recorder.record(path);
    await recorder.flush();
    expect((await listUnmapped(database.db, 10)).map((r) => [r.path, r.hits])).toEqual([
      ['/often', 5],
      ['/sometimes', 3],
      ['/rare', 1],
    ]);
    expect((await listUnmapped(database.db, 2)).map((r) => r.path)).toEqual(['/often', '/sometimes']);

    expect(await resolveUnmapped(database.db, '/often')).toBe(true);
    expect(await resolveUnmapped(database.db, '/often')).toBe(false);
    expect(await resolveUnmapped(database.db, '/never-seen')).toBe(false);
    expect((await listUnmapped(database.db, 10)).map((r) => r.path)).toEqual(['/sometimes', '/rare']);

    recorder.record('/often');
    await recorder.close();
    expect((await listUnmapped(database.db, 10)).map((r) => [r.path, r.hits])).toEqual([
      ['/often', 6],
      ['/sometimes', 3],
      ['/rare', 1],
    ]);
  });
});
