// The URL rules page: an admin adds a rule from an unmapped path, tests it, and deletes it; the router
// answers by the new rule at once; support may look and test, not change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents, unmappedPaths, urlRules } from '../../db/schema/index.ts';
import { startTestApp, TestBrowser, csrfFrom, type TestApp } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ NEW_PLATFORM_URL: 'https://app.new.example' });
});
afterAll(async () => {
  await app?.close();
});

const text = (html: string) => html.replace(/<!-- -->/g, '');

describe('the URL rules page', () => {
  it('lets an admin add a rule for an unmapped path, test it, and delete it', async () => {
    await app.database.db.insert(unmappedPaths).values({ path: '/old-billing', hits: 41 });
    const { browser: admin, member } = await signedInStaff(app, 'ada@clinic.example', 'admin');
    const page = text(await (await admin.get('/staff/url-rules')).text());
    expect(page).toContain('<code>/old-billing</code>');
    expect(page).toContain('href="/staff/url-rules?source=%2Fold-billing#add-heading"');

    const added = await admin.submit(
      '/staff/url-rules',
      {
        intent: 'add',
        source: '/old-billing',
        target: '{new}/billing',
        when: 'always',
        status: '',
        note: '',
      },
      { csrf: csrfFrom(page) },
    );
    expect(added.status).toBe(200);
    expect(text(await added.text())).toContain('Added: /old-billing → {new}/billing.');
    const [rule] = await app.database.db.select().from(urlRules).where(eq(urlRules.source, '/old-billing'));
    expect(rule).toMatchObject({ kind: 'exact', target: '{new}/billing', createdBy: member.staff.id });
    const [resolved] = await app.database.db.select().from(unmappedPaths);
    expect(resolved!.resolvedAt).not.toBeNull();

    // In effect at once for patients.
    const visit = await new TestBrowser(app.url).get('/old-billing?x=1');
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe('https://app.new.example/billing?x=1&cw_hop=1');

    const tested = text(
      await (await admin.get('/staff/url-rules?test=%2Fold-billing&phase=cut_over')).text(),
    );
    expect(tested).toContain('/old-billing: 302 to https://app.new.example/billing?cw_hop=1');

    const refused = await admin.submit(
      '/staff/url-rules',
      { intent: 'add', source: '/x', target: 'https://evil.example/', when: 'always' },
      { csrf: csrfFrom(page) },
    );
    expect(refused.status).toBe(400);

    const deleted = await admin.submit(
      '/staff/url-rules',
      { intent: 'delete', id: rule!.id },
      { csrf: csrfFrom(page) },
    );
    expect(text(await deleted.text())).toContain('Deleted the rule for /old-billing.');
    expect((await new TestBrowser(app.url).get('/old-billing')).status).toBe(404);
    const actions = (await app.database.db.select().from(auditEvents)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['url_rule.added', 'url_rule.deleted']));
  });

  it('shows support the rules and the test box, and refuses their changes', async () => {
    const { browser: support } = await signedInStaff(app, 'sam@clinic.example', 'support');
    const page = await support.get('/staff/url-rules');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain('Add the rule');
    const attempt = await support.submit(
      '/staff/url-rules',
      { intent: 'add', source: '/y', target: '{new}/y' },
      { csrf: csrfFrom(html) },
    );
    expect(attempt.status).toBe(403);
    expect(await app.database.db.select().from(urlRules).where(eq(urlRules.source, '/y'))).toEqual([]);
  });
});
