import { asc } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CohortPhase } from '../../db/schema/cohorts.ts';
import { idCrosswalk, unmappedPaths, urlRules } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { addRule } from './admin.ts';
import { createUrlRouter, NO_STORE, PERMANENT_CACHE, type RouteInput, type UrlRouter } from './router.ts';
import type { UrlRuleInput } from './rules.ts';

const database = privateTestDatabase();
const NEW = 'https://app.newplatform.example';
const LEGACY = 'https://legacy.example.org';
const PORTAL = 'https://portal.example.org';
const config = { publicUrl: PORTAL, platforms: { newUrl: NEW, legacyUrl: LEGACY } };
const system = { type: 'system' as const };

let router: UrlRouter;
const warnings: { data: unknown; message: string }[] = [];
const logger = {
  warn: (data: unknown, message: string) => warnings.push({ data, message }),
  info: () => {},
} as unknown as Parameters<typeof createUrlRouter>[0]['logger'];

async function rules(...inputs: UrlRuleInput[]) {
  for (const input of inputs) {
    const added = await addRule(database.db, input, system);
    if (!added.ok) throw new Error(`test rule refused: ${JSON.stringify(added)}`);
  }
  await router.reload();
}

const patient = (cohortPhase: CohortPhase | null, cohortFinal = false) => ({ cohortPhase, cohortFinal });

function request(path: string, extra: Partial<RouteInput> = {}): RouteInput {
  const question = path.indexOf('?');
  return {
    path: question === -1 ? path : path.slice(0, question),
    search: question === -1 ? '' : path.slice(question),
    method: 'GET',
    patient: patient('migrating'),
    hops: 0,
    ...extra,
  };
}

const route = (path: string, extra: Partial<RouteInput> = {}) => router.route(request(path, extra));

const temporary = (location: string, status: 302 | 307 = 302) => ({
  kind: 'redirect',
  location,
  status,
  cacheControl: NO_STORE,
  vary: 'Cookie',
});

beforeEach(() => {
  warnings.length = 0;
  router = createUrlRouter({ db: database.db, config, logger });
});
afterEach(async () => {
  await router.close();
});

describe('createUrlRouter: precedence, captures and query strings', () => {
  beforeEach(async () => {
    await rules(
      { source: '/*', target: '{legacy}{rest}' },
      { source: '/appointments/*', target: '{legacy}/appts{rest}' },
      { source: '/appointments/:id', target: '{new}/visits/{id}' },
      { source: '/appointments/new', target: '{new}/visits/book' },
      { source: '/search', target: '{new}/find?source=legacy' },
    );
  });

  it('answers exact > pattern > prefix', async () => {
    expect(await route('/appointments/new')).toEqual(temporary(`${NEW}/visits/book?cw_hop=1`));
    expect(await route('/appointments/A-17')).toEqual(temporary(`${NEW}/visits/A-17?cw_hop=1`));
    expect(await route('/appointments/A-17/notes')).toEqual(temporary(`${LEGACY}/appts/A-17/notes?cw_hop=1`));
    expect(await route('/anything/else/')).toEqual(temporary(`${LEGACY}/anything/else?cw_hop=1`));
  });

  it('keeps the query string, after the target’s own parameters, which win', async () => {
    expect(await route('/appointments/A-17?utm_source=email&lang=es')).toEqual(
      temporary(`${NEW}/visits/A-17?utm_source=email&lang=es&cw_hop=1`),
    );
    expect(await route('/search?q=flu%20shot&source=evil')).toEqual(
      temporary(`${NEW}/find?source=legacy&q=flu%20shot&cw_hop=1`),
    );
  });

  it('percent-encodes captured values into the target', async () => {
    expect(await route('/appointments/a%3Fb%23c%20d')).toEqual(
      temporary(`${NEW}/visits/a%3Fb%23c%20d?cw_hop=1`),
    );
    expect(await route('/appointments/caf%C3%A9')).toEqual(temporary(`${NEW}/visits/caf%C3%A9?cw_hop=1`));
  });

  it('uses 307 for other methods, so a form post stays a post', async () => {
    expect(await route('/appointments/new', { method: 'POST' })).toEqual(
      temporary(`${NEW}/visits/book?cw_hop=1`, 307),
    );
    expect(await route('/appointments/new', { method: 'head' })).toEqual(
      temporary(`${NEW}/visits/book?cw_hop=1`),
    );
  });
});

describe('createUrlRouter: never an open redirect', () => {
  beforeEach(async () => {
    await rules({ source: '/*', target: '{legacy}{rest}' }, { source: '/go/:id', target: '{new}/p/{id}' });
  });

  it.each([
    ['//evil.example', `${LEGACY}/evil.example?cw_hop=1`],
    ['//evil.example/x', `${LEGACY}/evil.example/x?cw_hop=1`],
    ['/go/evil.example', `${NEW}/p/evil.example?cw_hop=1`],
    ['/go/@evil.example', `${NEW}/p/%40evil.example?cw_hop=1`],
    ['/go/https:%2F%2Fevil.example', null],
  ])('%s stays on the allowed hosts', async (path, location) => {
    const decision = await route(path);
    if (location) expect(decision).toEqual(temporary(location));
    else expect(decision).toEqual({ kind: 'unmapped', normalizedPath: '/:unreadable' });
  });

  it.each([
    '/\\evil.example',
    '/go/%2F%2Fevil.example',
    '/go/%5Cevil.example',
    '/go/a%0d%0aLocation:%20https://evil.example',
    '/go/%ff',
  ])('refuses %j and counts it, never redirecting', async (path) => {
    const decision = await route(path);
    expect(decision.kind).toBe('unmapped');
    expect(router.stats()).toMatchObject({ refused: 1, unmapped: 0, redirects: 0 });
    expect(warnings.map((w) => w.message)).toEqual(['legacy path refused']);
    // Refused paths are not staff's to-do list.
    await router.close();
    expect(await database.db.select().from(unmappedPaths)).toEqual([]);
  });

  it('refuses at runtime a rule written around the validation, and skips it at reload', async () => {
    await database.db
      .insert(urlRules)
      .values({ kind: 'exact', source: '/evil', target: 'https://evil.example/' });
    await router.reload();
    expect(router.rules).toEqual({ exact: 0, prefix: 1, pattern: 1, skipped: 1 });
    expect(warnings[0]).toMatchObject({ message: 'url rule skipped', data: { source: '/evil' } });
    expect(await route('/evil')).toEqual(temporary(`${LEGACY}/evil?cw_hop=1`));
  });
});

describe('createUrlRouter: the cohort decides', () => {
  beforeEach(async () => {
    await rules(
      { source: '/billing', target: '{legacy}/billing', when: 'before_cutover' },
      { source: '/billing', target: '{new}/billing', when: 'after_cutover' },
      { source: '/messages/*', target: '{new}/inbox{rest}', when: 'after_cutover' },
      { source: '/*', target: '{legacy}{rest}' },
      { source: '/help-center', target: '{self}/help', status: '301' },
    );
  });

  it.each([
    ['pending', `${LEGACY}/billing?cw_hop=1`],
    ['pilot', `${LEGACY}/billing?cw_hop=1`],
    ['migrating', `${LEGACY}/billing?cw_hop=1`],
    ['rolled_back', `${LEGACY}/billing?cw_hop=1`],
    [null, `${LEGACY}/billing?cw_hop=1`],
    ['cut_over', `${NEW}/billing?cw_hop=1`],
  ] as const)('a patient whose cohort is %s goes to %s', async (phase, location) => {
    expect(await route('/billing', { patient: patient(phase) })).toEqual(temporary(location));
  });

  it('passes over a rule for the other side to the next candidate', async () => {
    expect(await route('/messages/42', { patient: patient('migrating') })).toEqual(
      temporary(`${LEGACY}/messages/42?cw_hop=1`),
    );
    expect(await route('/messages/42', { patient: patient('cut_over') })).toEqual(
      temporary(`${NEW}/inbox/42?cw_hop=1`),
    );
  });

  it('asks an anonymous visitor to sign in first when the answer depends on the cohort, keeping the query', async () => {
    expect(await route('/billing?statement=2024-05', { patient: null })).toEqual({
      kind: 'sign_in_first',
      resumeTo: '/billing?statement=2024-05',
    });
    expect(await route('/messages//42/', { patient: null })).toEqual({
      kind: 'sign_in_first',
      resumeTo: '/messages/42',
    });
    // Not cohort-dependent: answered at once.
    expect(await route('/about', { patient: null })).toEqual(temporary(`${LEGACY}/about?cw_hop=1`));
    expect(router.stats()).toMatchObject({ signInFirst: 2, redirects: 1 });
  });

  it('redirects with 308, cacheable by the browser, once the cohort’s cutover is final', async () => {
    expect(await route('/billing', { patient: patient('cut_over', true) })).toEqual({
      kind: 'redirect',
      location: `${NEW}/billing?cw_hop=1`,
      status: 308,
      cacheControl: PERMANENT_CACHE,
      vary: 'Cookie',
    });
    expect(await route('/billing', { patient: patient('cut_over', true), method: 'POST' })).toMatchObject({
      status: 308,
    });
    // Final only counts after the cutover: a rolled-back cohort is temporary again.
    expect(await route('/billing', { patient: patient('rolled_back', true) })).toEqual(
      temporary(`${LEGACY}/billing?cw_hop=1`),
    );
  });

  it('lets a rule’s fixed status win, without Vary when nothing depends on the patient', async () => {
    for (const who of [null, patient('migrating'), patient('cut_over', true)])
      expect(await route('/help-center', { patient: who })).toEqual({
        kind: 'redirect',
        location: `${PORTAL}/help`,
        status: 301,
        cacheControl: PERMANENT_CACHE,
        vary: null,
      });
  });

  it('takes a cohort’s rollback at once: the next request goes back to the legacy platform', async () => {
    expect(await route('/billing', { patient: patient('cut_over') })).toMatchObject({
      location: `${NEW}/billing?cw_hop=1`,
      cacheControl: NO_STORE,
    });
    expect(await route('/billing', { patient: patient('rolled_back') })).toMatchObject({
      location: `${LEGACY}/billing?cw_hop=1`,
      cacheControl: NO_STORE,
    });
  });
});

describe('createUrlRouter: the crosswalk', () => {
  beforeEach(async () => {
    await database.db.insert(idCrosswalk).values([
      { kind: 'appointment', legacyId: 'A-100', newId: 'visit/9f 1' },
      { kind: 'message', legacyId: 'A-100', newId: 'm-1' },
    ]);
    await rules({ source: '/appointments/:id', target: '{new}/visits/{crosswalk:appointment:id}' });
  });

  it('translates a legacy id, encoding the new one', async () => {
    expect(await route('/appointments/A-100?from=email')).toEqual(
      temporary(`${NEW}/visits/visit%2F9f%201?from=email&cw_hop=1`),
    );
  });

  it('sends a miss to the platform’s home, temporarily, and counts the path as unmapped', async () => {
    expect(await route('/appointments/A-999')).toEqual(temporary(`${NEW}/?cw_hop=1`));
    expect(router.stats()).toMatchObject({ crosswalkMisses: 1, redirects: 1 });
    await router.close();
    expect(
      await database.db.select({ path: unmappedPaths.path, hits: unmappedPaths.hits }).from(unmappedPaths),
    ).toEqual([{ path: '/appointments/:id', hits: 1 }]);
  });

  it('asks an anonymous visitor to sign in first: a record id is never translated for a stranger', async () => {
    expect(await route('/appointments/A-100', { patient: null })).toEqual({
      kind: 'sign_in_first',
      resumeTo: '/appointments/A-100',
    });
  });
});

describe('createUrlRouter: loops and this portal', () => {
  beforeEach(async () => {
    await rules(
      { source: '/portal/*', target: '{legacy}/portal{rest}' },
      { source: '/help', target: '{self}/help' },
      { source: '/support', target: '{self}/help?topic=support' },
      { source: '/a', target: '{self}/b' },
      { source: '/b', target: '{self}/c' },
      { source: '/c', target: '{self}/a' },
    );
  });

  it('marks each hop to a platform and stops at the third', async () => {
    expect(await route('/portal/home')).toEqual(temporary(`${LEGACY}/portal/home?cw_hop=1`));
    expect(await route('/portal/home?cw_hop=1&x=1')).toEqual(temporary(`${LEGACY}/portal/home?x=1&cw_hop=2`));
    expect(await route('/portal/home?x=1&cw_hop=2')).toEqual({ kind: 'loop' });
    expect(await route('/portal/home', { hops: 2 })).toEqual({ kind: 'loop' });
    expect(router.stats()).toMatchObject({ loops: 2, redirects: 2 });
  });

  it('serves a {self} target on the same path, and redirects within the portal without a hop marker', async () => {
    expect(await route('/help/')).toEqual({ kind: 'serve' });
    expect(await route('/support?lang=es')).toEqual(temporary(`${PORTAL}/help?topic=support&lang=es`));
    expect(await route('/support?cw_hop=1')).toEqual(temporary(`${PORTAL}/help?topic=support&cw_hop=1`));
  });

  it('sees a chain of redirects within the portal that comes back on itself', async () => {
    expect(await route('/a')).toEqual({ kind: 'loop' });
  });
});

describe('createUrlRouter: unmapped paths and reloads', () => {
  it('counts unmatched paths without PHI, and answers unmapped', async () => {
    await rules({ source: '/billing', target: '{new}/billing' });
    expect(await route('/patients/maria.lopez@example.org/records/12345?token=abc')).toEqual({
      kind: 'unmapped',
      normalizedPath: '/patients/:email/records/:id',
    });
    expect(await route('/old-page/')).toEqual({ kind: 'unmapped', normalizedPath: '/old-page' });
    expect(await route('/old-page')).toEqual({ kind: 'unmapped', normalizedPath: '/old-page' });
    await router.close();
    const rows = await database.db
      .select({ path: unmappedPaths.path, hits: unmappedPaths.hits })
      .from(unmappedPaths)
      .orderBy(asc(unmappedPaths.path));
    expect(rows).toEqual([
      { path: '/old-page', hits: 2 },
      { path: '/patients/:email/records/:id', hits: 1 },
    ]);
    expect(JSON.stringify(rows)).not.toContain('maria');
  });

  it('reads the table page by page', async () => {
    const paged = createUrlRouter({ db: database.db, config, logger, reloadPageSize: 2 });
    try {
      await rules(
        { source: '/a', target: '{new}/a' },
        { source: '/b', target: '{new}/b', when: 'before_cutover' },
        { source: '/b', target: '{legacy}/b', when: 'after_cutover' },
        { source: '/c/*', target: '{new}/c{rest}' },
        { source: '/d/:id', target: '{new}/d/{id}' },
      );
      await paged.reload();
      expect(paged.rules).toEqual({ exact: 3, prefix: 1, pattern: 1, skipped: 0 });
      expect(await paged.route(request('/d/7', { patient: patient('cut_over') }))).toEqual(
        temporary(`${NEW}/d/7?cw_hop=1`),
      );
      expect(await paged.route(request('/b', { patient: patient('cut_over') }))).toEqual(
        temporary(`${LEGACY}/b?cw_hop=1`),
      );
    } finally {
      await paged.close();
    }
  });

  it('loads the rules on first use, and sees a change after reload()', async () => {
    await addRule(database.db, { source: '/billing', target: '{new}/billing' }, system);
    expect(await route('/billing')).toEqual(temporary(`${NEW}/billing?cw_hop=1`));
    await addRule(database.db, { source: '/refills', target: '{new}/pharmacy' }, system);
    expect((await route('/refills')).kind).toBe('unmapped');
    await router.reload();
    expect(await route('/refills')).toEqual(temporary(`${NEW}/pharmacy?cw_hop=1`));
  });

  it('reloads by itself when another process changes the table', async () => {
    const watching = createUrlRouter({ db: database.db, config, logger, refreshEveryMs: 20 });
    try {
      await watching.reload();
      expect((await watching.route(request('/refills'))).kind).toBe('unmapped');
      await addRule(database.db, { source: '/refills', target: '{new}/pharmacy' }, system);
      await expect
        .poll(async () => (await watching.route(request('/refills'))).kind, { timeout: 5000 })
        .toBe('redirect');
    } finally {
      await watching.close();
    }
  });

  it('skips {legacy} rules when no legacy platform is configured', async () => {
    const noLegacy = createUrlRouter({
      db: database.db,
      config: { publicUrl: PORTAL, platforms: { newUrl: NEW, legacyUrl: null } },
      logger,
    });
    try {
      await rules(
        { source: '/*', target: '{legacy}{rest}' },
        { source: '/billing', target: '{new}/billing' },
      );
      await noLegacy.reload();
      expect(noLegacy.rules).toEqual({ exact: 1, prefix: 0, pattern: 0, skipped: 1 });
      expect((await noLegacy.route(request('/other'))).kind).toBe('unmapped');
    } finally {
      await noLegacy.close();
    }
  });

  it('explains a decision with the rule that took it, counting nothing', async () => {
    await rules({ source: '/billing', target: '{new}/billing' });
    const [stored] = await database.db.select({ id: urlRules.id }).from(urlRules);
    expect(await router.explain(request('/billing'))).toEqual({
      decision: temporary(`${NEW}/billing?cw_hop=1`),
      detail: 'redirect',
      rule: {
        id: stored!.id,
        kind: 'exact',
        source: '/billing',
        when: 'always',
        target: '{new}/billing',
        status: null,
      },
    });
    expect(await router.explain(request('/nowhere'))).toMatchObject({ detail: 'no_rule', rule: null });
    expect(router.stats().routed).toBe(0);
    await router.close();
    expect(await database.db.select().from(unmappedPaths)).toEqual([]);
  });
});
