import { desc } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, unmappedPaths, urlRules } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { addRule, deleteRule, listRules, testRule } from './admin.ts';
import { createUrlRouter, NO_STORE, type UrlRouter } from './router.ts';

const database = privateTestDatabase();
const staff = { type: 'staff' as const, id: '6f1f3c2e-54a1-4c3b-9d0e-2f6a7b8c9d01' };
const config = {
  publicUrl: 'https://portal.example.org',
  platforms: { newUrl: 'https://app.newplatform.example', legacyUrl: 'https://legacy.example.org' },
};

async function lastAudit() {
  const [row] = await database.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  return row;
}

describe('addRule', () => {
  it('validates, stores the normalised rule and audits it', async () => {
    const added = await addRule(
      database.db,
      { source: '/Billing/', target: '{new}/billing', when: 'after_cutover', note: 'statements moved' },
      staff,
    );
    expect(added).toMatchObject({
      ok: true,
      rule: {
        kind: 'exact',
        source: '/Billing',
        target: '{new}/billing',
        when: 'after_cutover',
        status: null,
        position: 0,
        note: 'statements moved',
        createdBy: staff.id,
      },
    });
    expect(await lastAudit()).toMatchObject({
      action: 'url_rule.added',
      actorType: 'staff',
      actorId: staff.id,
      subjectType: 'url_rule',
      subjectId: added.ok ? added.rule.id : '',
      data: {
        kind: 'exact',
        source: '/Billing',
        target: '{new}/billing',
        when: 'after_cutover',
        status: null,
      },
    });
  });

  it('refuses an invalid rule with its reasons, writing nothing', async () => {
    expect(await addRule(database.db, { source: '/x', target: 'https://evil.example/' }, staff)).toEqual({
      ok: false,
      reason: 'invalid',
      problems: [
        'target must start with {new}, {legacy} or {self}: rules only send patients to the new platform, the legacy platform or this portal (got "https://evil.example/")',
      ],
    });
    expect(await database.db.select().from(urlRules)).toEqual([]);
    expect(await database.db.select().from(auditEvents)).toEqual([]);
  });

  it('refuses a second rule for the same source and when', async () => {
    const first = await addRule(database.db, { source: '/billing', target: '{new}/billing' }, staff);
    const again = await addRule(database.db, { source: '/billing/', target: '{legacy}/billing' }, staff);
    expect(again).toMatchObject({
      ok: false,
      reason: 'duplicate',
      existing: { id: first.ok && first.rule.id },
    });
    const other = await addRule(
      database.db,
      { source: '/billing', target: '{legacy}/billing', when: 'before_cutover' },
      staff,
    );
    expect(other.ok).toBe(true);
  });

  it('puts a new pattern after the existing ones', async () => {
    await addRule(database.db, { source: '/a/:id', target: '{new}/a/{id}' }, staff);
    await addRule(database.db, { source: '/b/:id', target: '{new}/b/{id}' }, staff);
    await addRule(database.db, { source: '/c/:id', target: '{new}/c/{id}', position: '1' }, staff);
    expect(
      (await listRules(database.db, { kind: 'pattern', limit: 10 })).map((r) => [r.source, r.position]),
    ).toEqual([
      ['/c/:id', 1],
      ['/a/:id', 10],
      ['/b/:id', 20],
    ]);
  });
});

describe('deleteRule and listRules', () => {
  it('deletes by id and audits; an unknown or malformed id is not found', async () => {
    const added = await addRule(database.db, { source: '/billing', target: '{new}/billing' }, staff);
    if (!added.ok) throw new Error('not added');
    expect(await deleteRule(database.db, 'not-a-uuid', staff)).toEqual({ ok: false, reason: 'not_found' });
    expect(await deleteRule(database.db, '00000000-0000-4000-8000-000000000000', staff)).toEqual({
      ok: false,
      reason: 'not_found',
    });
    expect(await deleteRule(database.db, added.rule.id, staff)).toMatchObject({
      ok: true,
      rule: { source: '/billing' },
    });
    expect(await lastAudit()).toMatchObject({
      action: 'url_rule.deleted',
      actorId: staff.id,
      subjectId: added.rule.id,
      data: { source: '/billing', target: '{new}/billing' },
    });
    expect(await listRules(database.db, { limit: 10 })).toEqual([]);
  });

  it('lists by kind, then position and source', async () => {
    await addRule(database.db, { source: '/z', target: '{new}/z' }, staff);
    await addRule(database.db, { source: '/msgs/*', target: '{new}/inbox{rest}' }, staff);
    await addRule(database.db, { source: '/a', target: '{new}/a' }, staff);
    expect((await listRules(database.db, { limit: 10 })).map((r) => r.source)).toEqual([
      '/a',
      '/z',
      '/msgs/*',
    ]);
    expect((await listRules(database.db, { kind: 'prefix', limit: 10 })).map((r) => r.source)).toEqual([
      '/msgs/*',
    ]);
    expect((await listRules(database.db, { limit: 1, offset: 1 })).map((r) => r.source)).toEqual(['/z']);
  });
});

describe('testRule', () => {
  let router: UrlRouter;
  beforeEach(() => {
    router = createUrlRouter({ db: database.db, config });
  });
  afterEach(async () => {
    await router.close();
  });

  it('says what a path would get, for a visitor or a cohort phase, and counts nothing', async () => {
    await addRule(database.db, { source: '/billing', target: '{new}/billing', when: 'after_cutover' }, staff);
    await addRule(
      database.db,
      { source: '/billing', target: '{legacy}/billing', when: 'before_cutover' },
      staff,
    );
    await router.reload();
    const [after] = await database.db.select().from(urlRules).orderBy(urlRules.when);

    expect(await testRule(router, '/billing?x=1', 'cut_over')).toEqual({
      tested: '/billing?x=1',
      detail: 'redirect',
      decision: {
        kind: 'redirect',
        location: 'https://app.newplatform.example/billing?x=1&cw_hop=1',
        status: 302,
        cacheControl: NO_STORE,
        vary: 'Cookie',
      },
      rule: {
        id: after!.id,
        kind: 'exact',
        source: '/billing',
        when: 'after_cutover',
        target: '{new}/billing',
        status: null,
      },
    });
    expect(await testRule(router, '/billing', 'cut_over', { final: true })).toMatchObject({
      decision: { status: 308 },
    });
    expect(await testRule(router, '/billing', 'pilot')).toMatchObject({
      decision: { location: 'https://legacy.example.org/billing?cw_hop=1' },
      rule: { when: 'before_cutover' },
    });
    expect(await testRule(router, '/billing', null)).toEqual({
      tested: '/billing',
      detail: 'sign_in_needed',
      decision: { kind: 'sign_in_first', resumeTo: '/billing' },
      rule: null,
    });
    expect(await testRule(router, '/nowhere/12345', 'migrating')).toEqual({
      tested: '/nowhere/12345',
      detail: 'no_rule',
      decision: { kind: 'unmapped', normalizedPath: '/nowhere/:id' },
      rule: null,
    });
    expect(router.stats().routed).toBe(0);
    await router.close();
    expect(await database.db.select().from(unmappedPaths)).toEqual([]);
  });
});
