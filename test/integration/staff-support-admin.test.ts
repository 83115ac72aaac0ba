// The support admin pages as an admin uses them: add a rule at a position and see the next request follow
// it, move rules to change which one wins, have bad rules refused with words that say what to fix, dry-run
// requests (a bridged patient who can't sign in; a message the safety screen takes first), review who
// viewed which ticket, and read the desk's figures on a small fixture whose answers are known.
import { asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../db/audit.ts';
import { auditEvents, cohorts, patients, routingRules, tickets, type Ticket } from '../../db/schema/index.ts';
import { dryRun, dryRunRecent, listRules } from '../../messaging/support/rules-admin.ts';
import { supportMetrics } from '../../messaging/support/support-metrics.ts';
import { csrfFrom, startTestApp, type TestApp } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';

let app: TestApp;
let staffCount = 0;
let patientCount = 0;

beforeAll(async () => {
  app = await startTestApp();
});
beforeEach(async () => {
  await app.database.reset();
  app.services.support.intake.invalidate();
});
afterAll(async () => {
  await app?.close();
});

const signedIn = (role: 'admin' | 'support' | 'marketing' | 'clinical') =>
  signedInStaff(app, `${role}-${++staffCount}@clinic.example`, role);

/** Visible text, tags and entities reduced, so assertions read like the page does. */
const text = (html: string) =>
  html
    .replace(/<!-- -->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');

const businessHours = {
  timeZone: 'America/New_York',
  days: [1, 2, 3, 4, 5],
  open: '08:00',
  close: '18:00',
};

async function patient(values: Partial<typeof patients.$inferInsert> = {}) {
  const n = ++patientCount;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `SA-${n}`,
      email: `pat${n}@example.org`,
      emailNormalized: `pat${n}@example.org`,
      ...values,
    })
    .returning();
  return row!;
}

async function ticketNumbered(number: number): Promise<Ticket> {
  const [row] = await app.database.db.select().from(tickets).where(eq(tickets.number, number));
  return row!;
}

async function rulesPage(browser: Awaited<ReturnType<typeof signedIn>>['browser'], query = '') {
  const response = await browser.get(`/staff/support/rules${query}`);
  expect(response.status).toBe(200);
  return response.text();
}

const ruleForm = (fields: Record<string, string>) => ({
  intent: 'save',
  name: '',
  position: '',
  enabled: 'on',
  categories: '',
  subtypes: '',
  patientStates: '',
  cohorts: '',
  cohortPhases: '',
  channels: '',
  languages: '',
  words: '',
  queue: '',
  priority: '',
  tags: '',
  ...fields,
});

describe('routing rules page', () => {
  it('adds a rule at a position and the next help request is routed by it', async () => {
    const { browser: admin, member } = await signedIn('admin');
    const page = await rulesPage(admin);
    const listed = text(page);
    expect(listed).toContain(
      '10. Refills go to the clinical team When category is refill: send to Clinical (refills, safety), priority high, tags refill.',
    );
    expect(listed).toContain(
      "20. Sign-in trouble after signing in here before When category is can't sign in, and patient's migration state is bridged or active: send to Sign-in: already through the portal, priority normal, tags sign_in, bridged.",
    );

    const added = await admin.submit(
      '/staff/support/rules',
      ruleForm({
        name: 'Insurance questions to the general desk',
        position: '55',
        categories: 'billing',
        subtypes: 'insurance',
        queue: 'general',
        priority: 'high',
        tags: 'insurance, billing',
      }),
      { csrf: csrfFrom(page) },
    );
    expect(added.status).toBe(200);
    expect(text(await added.text())).toContain(
      'Added "Insurance questions to the general desk" at position 55. New requests follow it now.',
    );
    const [rule] = await app.database.db
      .select()
      .from(routingRules)
      .where(eq(routingRules.name, 'Insurance questions to the general desk'));
    expect(rule).toMatchObject({
      position: 55,
      enabled: true,
      conditions: { categories: ['billing'], subtypes: ['insurance'] },
      actions: { queue: 'general', priority: 'high', tags: ['insurance', 'billing'] },
      updatedBy: member.staff.id,
    });

    const result = await app.services.support.submitHelpRequest({
      patientId: null,
      contact: { email: 'someone@example.org' },
      category: 'billing',
      subtype: 'insurance',
      message: 'My insurance card changed.',
      locale: 'en',
    });
    if (!result.ok) throw new Error(result.reason);
    expect(await ticketNumbered(result.number)).toMatchObject({
      queueId: 'general',
      priority: 'high',
      tags: ['insurance', 'billing'],
      ruleId: rule!.id,
    });
    // A billing request of another kind still goes where rule 60 sends it.
    const receipt = await app.services.support.submitHelpRequest({
      patientId: null,
      contact: { email: 'someone@example.org' },
      category: 'billing',
      subtype: 'receipt',
      message: 'I need a receipt.',
      locale: 'en',
    });
    if (!receipt.ok) throw new Error(receipt.reason);
    expect((await ticketNumbered(receipt.number)).queueId).toBe('billing');

    const [audit] = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'support.rule_saved'));
    expect(audit).toMatchObject({ actorType: 'staff', actorId: member.staff.id, subjectId: rule!.id });
    expect(audit!.data).toMatchObject({ created: true, position: 55 });
  });

  it('moves a rule up and down, and that changes which rule wins', async () => {
    const { browser: admin } = await signedIn('admin');
    let page = await rulesPage(admin);
    const added = await admin.submit(
      '/staff/support/rules',
      ruleForm({
        name: 'Billing to the general desk',
        position: '65',
        categories: 'billing',
        queue: 'general',
      }),
      { csrf: csrfFrom(page) },
    );
    expect(added.status).toBe(200);
    const [mine] = await app.database.db
      .select()
      .from(routingRules)
      .where(eq(routingRules.name, 'Billing to the general desk'));
    const billingRequest = async () => {
      const r = await app.services.support.submitHelpRequest({
        patientId: null,
        contact: { phone: '+12125550100' },
        category: 'billing',
        subtype: 'charge',
        message: 'Why was I charged twice?',
        locale: 'en',
      });
      if (!r.ok) throw new Error(r.reason);
      return (await ticketNumbered(r.number)).queueId;
    };
    // Rule 60 ("Billing questions") comes first.
    expect(await billingRequest()).toBe('billing');

    page = await rulesPage(admin);
    const up = await admin.submit(
      '/staff/support/rules',
      { intent: 'up', id: mine!.id },
      { csrf: csrfFrom(page) },
    );
    expect(text(await up.text())).toContain('Moved the rule up.');
    const order = async () =>
      (
        await app.database.db
          .select({ name: routingRules.name, position: routingRules.position })
          .from(routingRules)
          .where(like(routingRules.name, 'Billing%'))
          .orderBy(asc(routingRules.position))
      ).map((r) => `${r.position} ${r.name}`);
    expect(await order()).toEqual(['60 Billing to the general desk', '65 Billing questions']);
    expect(await billingRequest()).toBe('general');

    const down = await admin.submit(
      '/staff/support/rules',
      { intent: 'down', id: mine!.id },
      { csrf: csrfFrom(page) },
    );
    expect(text(await down.text())).toContain('Moved the rule down.');
    expect(await order()).toEqual(['60 Billing questions', '65 Billing to the general desk']);
    expect(await billingRequest()).toBe('billing');

    // The first rule cannot go further up.
    const [first] = await app.database.db.select().from(routingRules).where(eq(routingRules.position, 10));
    const top = await admin.submit(
      '/staff/support/rules',
      { intent: 'up', id: first!.id },
      { csrf: csrfFrom(page) },
    );
    expect(text(await top.text())).toContain('That rule is already first.');

    const moves = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'support.rule_moved'))
      .orderBy(asc(auditEvents.seq));
    expect(moves.map((m) => m.data)).toMatchObject([
      { direction: 'up', from: 65, to: 60, swappedWith: { name: 'Billing questions' } },
      { direction: 'down', from: 60, to: 65, swappedWith: { name: 'Billing questions' } },
    ]);
  });

  it('turns a rule off and on, and deletes one', async () => {
    const { browser: admin } = await signedIn('admin');
    const page = await rulesPage(admin);
    const [refills] = await app.database.db.select().from(routingRules).where(eq(routingRules.position, 10));
    const off = await admin.submit(
      '/staff/support/rules',
      { intent: 'disable', id: refills!.id },
      { csrf: csrfFrom(page) },
    );
    expect(text(await off.text())).toContain('The rule is off: routing skips it.');
    const refill = await app.services.support.submitHelpRequest({
      patientId: null,
      contact: { email: 'r@example.org' },
      category: 'refill',
      subtype: 'status',
      message: 'Where is it?',
      locale: 'en',
    });
    if (!refill.ok) throw new Error(refill.reason);
    expect((await ticketNumbered(refill.number)).queueId).toBe('general');
    await admin.submit(
      '/staff/support/rules',
      { intent: 'enable', id: refills!.id },
      { csrf: csrfFrom(page) },
    );
    const deleted = await admin.submit(
      '/staff/support/rules',
      { intent: 'delete', id: refills!.id },
      { csrf: csrfFrom(page) },
    );
    expect(text(await deleted.text())).toContain('Deleted "Refills go to the clinical team".');
    expect(await app.database.db.select().from(routingRules).where(eq(routingRules.id, refills!.id))).toEqual(
      [],
    );
    const actions = (await app.database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq)))
      .map((e) => e.action)
      .filter((a) => a.startsWith('support.'));
    expect(actions).toEqual(['support.rule_disabled', 'support.rule_enabled', 'support.rule_deleted']);
  });

  it('refuses a bad rule with a specific message and changes nothing', async () => {
    const { browser: admin } = await signedIn('admin');
    const page = await rulesPage(admin);
    const before = await app.database.db.select().from(routingRules).orderBy(asc(routingRules.position));

    const unknownQueue = await admin.submit(
      '/staff/support/rules',
      ruleForm({ name: 'Somewhere', categories: 'billing', queue: 'nowhere' }),
      { csrf: csrfFrom(page) },
    );
    expect(unknownQueue.status).toBe(400);
    const unknownText = text(await unknownQueue.text());
    expect(unknownText).toContain('The rule was not saved. Fix what is marked below.');
    expect(unknownText).toContain('There is no queue "nowhere". Choose one of the queues listed.');

    const emptyItem = await admin.submit(
      '/staff/support/rules',
      ruleForm({ name: 'Two kinds', categories: 'billing,,appointment', queue: 'general' }),
      { csrf: csrfFrom(page) },
    );
    expect(emptyItem.status).toBe(400);
    const emptyHtml = await emptyItem.text();
    expect(text(emptyHtml)).toContain(
      'The list of categories has an empty item: remove the extra comma or blank line.',
    );
    // What the admin typed stays in the form, marked beside the field.
    expect(emptyHtml).toContain('value="billing,,appointment"');
    expect(emptyHtml).toMatch(/id="add-categories"[^>]*aria-invalid="true"/);

    const takenPosition = await admin.submit(
      '/staff/support/rules',
      ruleForm({ name: 'Clash', position: '20', categories: 'billing', queue: 'general' }),
      { csrf: csrfFrom(page) },
    );
    expect(takenPosition.status).toBe(400);
    expect(text(await takenPosition.text())).toContain(
      'Position 20 is already the rule "Sign-in trouble after signing in here before". Pick a free number, like 25.',
    );

    const unknownCategory = await admin.submit(
      '/staff/support/rules',
      ruleForm({ name: 'Typo', categories: 'biling', queue: 'general' }),
      { csrf: csrfFrom(page) },
    );
    expect(text(await unknownCategory.text())).toContain(
      '"biling" is not among the categories routing knows. Use any of: sign_in, refill, billing, appointment, other.',
    );

    const noConditions = await admin.submit(
      '/staff/support/rules',
      ruleForm({ name: 'All', queue: 'general' }),
      {
        csrf: csrfFrom(page),
      },
    );
    expect(text(await noConditions.text())).toContain('Give the rule at least one condition');

    expect(await app.database.db.select().from(routingRules).orderBy(asc(routingRules.position))).toEqual(
      before,
    );
    expect(
      await app.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'support.rule_saved')),
    ).toEqual([]);
  });

  it('edits a rule through its form', async () => {
    const { browser: admin } = await signedIn('admin');
    const [appointments] = await app.database.db
      .select()
      .from(routingRules)
      .where(eq(routingRules.position, 70));
    const page = await rulesPage(admin, `?edit=${appointments!.id}`);
    expect(page).toContain(`name="id" value="${appointments!.id}"`);
    expect(page).toMatch(/id="edit-categories"[^>]*value="appointment"/);
    const saved = await admin.submit(
      '/staff/support/rules',
      ruleForm({
        id: appointments!.id,
        name: 'Appointments in Spanish',
        position: '70',
        categories: 'appointment',
        languages: 'es',
        queue: 'appointments',
        tags: 'appointment, es',
      }),
      { csrf: csrfFrom(page) },
    );
    expect(text(await saved.text())).toContain('Saved "Appointments in Spanish" at position 70.');
    const [after] = await app.database.db
      .select()
      .from(routingRules)
      .where(eq(routingRules.id, appointments!.id));
    expect(after).toMatchObject({
      name: 'Appointments in Spanish',
      conditions: { categories: ['appointment'], languages: ['es'] },
      actions: { queue: 'appointments', tags: ['appointment', 'es'] },
    });
  });

  it('dry-runs a sign-in request from a bridged patient: rule 20 takes it, rule 10 fails on category', async () => {
    const [cohort] = await app.database.db
      .insert(cohorts)
      .values({ name: 'wave-1', phase: 'migrating' })
      .returning();
    const bridged = await patient({ state: 'bridged', cohortId: cohort!.id });
    const { browser: admin } = await signedIn('admin');

    const at = new Date('2026-03-06T21:00:00Z'); // a Friday, 4 pm in New York
    const result = await dryRun(
      app.database.db,
      {
        category: 'sign_in',
        subtype: 'forgot_password',
        channel: 'web',
        language: 'en',
        text: 'My password does not work any more.',
        patientLegacyId: bridged.legacyId,
      },
      { businessHours, at },
    );
    expect(result.facts).toMatchObject({
      patientState: 'bridged',
      cohort: 'wave-1',
      cohortPhase: 'migrating',
    });
    expect(result.patientFound).toBe(true);
    expect(result.safetyFirst).toBe(false);
    expect(result.steps.map((s) => [s.position, s.outcome, s.failedLabel])).toEqual([
      [10, 'failed', 'category'],
      [20, 'matched', null],
      [30, 'not_reached', null],
      [40, 'not_reached', null],
      [50, 'not_reached', null],
      [60, 'not_reached', null],
      [70, 'not_reached', null],
    ]);
    expect(result.outcome).toEqual({
      by: 'rule',
      queue: 'sign_in_bridged',
      queueName: 'Sign-in: already through the portal',
      priority: 'normal',
      tags: ['sign_in', 'bridged'],
    });
    // "Everything else": 480 business minutes from Friday 4 pm = 2 h Friday + 6 h Monday → Monday 2 pm.
    expect(result.sla).toMatchObject({
      policyName: 'Everything else',
      calendar: 'business',
      firstResponseDueAt: new Date('2026-03-09T18:00:00Z'),
      escalateAt: null,
    });

    const page = await rulesPage(admin);
    const shown = await admin.submit(
      '/staff/support/rules',
      {
        intent: 'dry_run',
        category: 'sign_in',
        subtype: 'forgot_password',
        channel: 'web',
        language: 'en',
        patientLegacyId: bridged.legacyId,
        text: 'My password does not work any more.',
      },
      { csrf: csrfFrom(page) },
    );
    expect(shown.status).toBe(200);
    const words = text(await shown.text());
    expect(words).toContain('Facts: migration state bridged, cohort wave-1 (migrating).');
    expect(words).toContain(
      'Result: Sign-in: already through the portal, priority normal, by the rule "Sign-in trouble after signing in here before".',
    );
    expect(words).toContain('10 Refills go to the clinical team does not match: category');
    expect(words).toContain('20 Sign-in trouble after signing in here before takes it');
    expect(words).toContain('SLA: "Everything else" (business hours).');
    expect(words).not.toContain('safety screen takes it first');
  });

  it('dry-runs "I want to kill myself": the safety screen takes it first, whatever the rules say', async () => {
    const { browser: admin } = await signedIn('admin');
    const at = new Date('2026-03-07T15:00:00Z'); // a Saturday: clinical clocks run anyway
    const result = await dryRun(
      app.database.db,
      { category: 'billing', subtype: null, channel: 'sms', language: 'en', text: 'I want to kill myself' },
      { businessHours, at },
    );
    expect(result.safetyFirst).toBe(true);
    expect(result.safety.kinds).toEqual(['self_harm']);
    expect(result.patientFound).toBeNull();
    expect(result.facts.patientState).toBe('unknown');
    expect(result.decision.ruleName).toBe('Billing questions');
    expect(result.outcome).toEqual({
      by: 'safety_screen',
      queue: 'clinical',
      queueName: 'Clinical (refills, safety)',
      priority: 'urgent',
      tags: ['safety'],
    });
    expect(result.sla).toMatchObject({
      policyName: 'Urgent, around the clock',
      calendar: 'always',
      firstResponseDueAt: new Date('2026-03-07T15:15:00Z'),
      escalateAt: new Date('2026-03-07T15:07:30Z'),
    });

    const page = await rulesPage(admin);
    const shown = await admin.submit(
      '/staff/support/rules',
      {
        intent: 'dry_run',
        category: 'billing',
        subtype: '',
        channel: 'sms',
        language: 'en',
        patientLegacyId: '',
        text: 'I want to kill myself',
      },
      { csrf: csrfFrom(page) },
    );
    const words = text(await shown.text());
    expect(words).toContain(
      'The safety screen takes it first (self-harm words): it goes to Clinical (refills, safety) as urgent, whatever the rules say',
    );
    expect(words).toContain(
      'Result: Clinical (refills, safety), urgent, by the safety screen (without it, the rule "Billing questions" would have taken it).',
    );
  });

  it('replays last week under edited rules: how many tickets would land elsewhere', async () => {
    const { browser: admin } = await signedIn('admin');
    for (const subtype of ['charge', 'receipt'] as const) {
      const r = await app.services.support.submitHelpRequest({
        patientId: null,
        contact: { email: 'b@example.org' },
        category: 'billing',
        subtype,
        message: 'A billing question.',
        locale: 'en',
      });
      if (!r.ok) throw new Error(r.reason);
    }
    const page = await rulesPage(admin);
    await admin.submit(
      '/staff/support/rules',
      ruleForm({
        name: 'Charges to general',
        position: '5',
        categories: 'billing',
        subtypes: 'charge',
        queue: 'general',
      }),
      { csrf: csrfFrom(page) },
    );
    const { rules } = await listRules(app.database.db);
    const replay = await dryRunRecent(app.database.db, rules, 7, {
      now: new Date(app.clock.now().getTime() + 1),
    });
    expect(replay).toEqual({
      days: 7,
      considered: 2,
      changed: 1,
      safety: 0,
      moves: [{ from: 'billing', to: 'general', tickets: 1 }],
    });
  });
});

describe('who may open the support admin pages', () => {
  it('gives support and marketing a 403 on every page and every change', async () => {
    for (const role of ['support', 'marketing', 'clinical'] as const) {
      const { browser } = await signedIn(role);
      for (const path of ['/staff/support', '/staff/support/rules', '/staff/support/views']) {
        expect([role, path, (await browser.get(path)).status]).toEqual([role, path, 403]);
      }
      const [rule] = await app.database.db.select().from(routingRules).where(eq(routingRules.position, 10));
      const attempt = await browser.submit('/staff/support/rules', { intent: 'delete', id: rule!.id });
      expect(attempt.status).toBe(403);
    }
    expect(await app.database.db.select().from(routingRules)).toHaveLength(7);
  });
});

describe('ticket views page', () => {
  it('lists staff.viewed_ticket events, filtered by staff email and dates, newest first', async () => {
    const { browser: admin } = await signedIn('admin');
    const { member: sam } = await signedIn('support');
    const { member: cleo } = await signedIn('clinical');
    const r = await app.services.support.submitHelpRequest({
      patientId: null,
      contact: { email: 'v@example.org' },
      category: 'refill',
      subtype: 'status',
      message: 'Refill please.',
      locale: 'en',
    });
    if (!r.ok) throw new Error(r.reason);
    const ticket = await ticketNumbered(r.number);
    await appendAudit(app.database.db, {
      action: 'staff.viewed_ticket',
      actorType: 'staff',
      actorId: sam.staff.id,
      subjectType: 'ticket',
      subjectId: ticket.id,
      data: { number: ticket.number, masked: true },
    });
    await appendAudit(app.database.db, {
      action: 'staff.viewed_ticket',
      actorType: 'staff',
      actorId: cleo.staff.id,
      subjectType: 'ticket',
      subjectId: ticket.id,
      data: { number: ticket.number, masked: false },
    });

    const all = text(await (await admin.get('/staff/support/views')).text());
    expect(all).toContain('2 views; page 1 of 1.');
    const cleoAt = all.indexOf(cleo.staff.email);
    const samAt = all.indexOf(sam.staff.email);
    expect(cleoAt).toBeGreaterThan(-1);
    expect(samAt).toBeGreaterThan(cleoAt);
    expect(all).toMatch(new RegExp(`${sam.staff.email} #${ticket.number} masked`));
    expect(all).toMatch(new RegExp(`${cleo.staff.email} #${ticket.number} shown`));

    const onlySam = text(
      await (
        await admin.get(`/staff/support/views?email=${encodeURIComponent(sam.staff.email.slice(0, 9))}`)
      ).text(),
    );
    expect(onlySam).toContain('1 views; page 1 of 1.');
    expect(onlySam).toContain(sam.staff.email);
    expect(onlySam).not.toContain(`${cleo.staff.email} #`);

    const today = new Date().toISOString().slice(0, 10);
    const inRange = text(await (await admin.get(`/staff/support/views?from=${today}&to=${today}`)).text());
    expect(inRange).toContain('2 views; page 1 of 1.');
    const before = text(await (await admin.get('/staff/support/views?from=2020-01-01&to=2020-01-31')).text());
    expect(before).toContain('No ticket views match.');
  });
});

describe('support metrics', () => {
  async function fixture() {
    const db = app.database.db;
    const [a, b] = await db
      .insert(cohorts)
      .values([{ name: 'Cohort A' }, { name: 'Cohort B' }])
      .returning();
    for (let i = 0; i < 4; i++) await patient({ cohortId: a!.id });
    for (let i = 0; i < 8; i++) await patient({ cohortId: b!.id });
    const at = (s: string) => new Date(s);
    const base = { channel: 'web' as const, status: 'open' as const };
    await db.insert(tickets).values([
      // Refill answered in 30 minutes, due at 14:00: in time.
      {
        ...base,
        cohortId: a!.id,
        category: 'refill',
        subtype: 'status',
        queueId: 'clinical',
        createdAt: at('2025-03-01T10:00:00Z'),
        firstRespondedAt: at('2025-03-01T10:30:00Z'),
        firstResponseDueAt: at('2025-03-01T14:00:00Z'),
      },
      // Refill answered after 6 hours, due after 4: late.
      {
        ...base,
        cohortId: a!.id,
        category: 'refill',
        subtype: 'new_request',
        queueId: 'clinical',
        createdAt: at('2025-03-01T23:30:00Z'),
        firstRespondedAt: at('2025-03-02T05:30:00Z'),
        firstResponseDueAt: at('2025-03-02T03:30:00Z'),
      },
      // Sign-in answered in 10 minutes.
      {
        ...base,
        cohortId: b!.id,
        category: 'sign_in',
        subtype: 'forgot_password',
        queueId: 'sign_in',
        createdAt: at('2025-03-02T09:00:00Z'),
        firstRespondedAt: at('2025-03-02T09:10:00Z'),
        firstResponseDueAt: at('2025-03-02T17:00:00Z'),
      },
      // Refill never answered, past due by "now": a miss.
      {
        ...base,
        cohortId: b!.id,
        category: 'refill',
        queueId: 'clinical',
        createdAt: at('2025-03-03T08:00:00Z'),
        firstResponseDueAt: at('2025-03-03T12:00:00Z'),
      },
      // Refill not answered and not yet due by "now": left out of attainment.
      {
        ...base,
        cohortId: b!.id,
        category: 'refill',
        queueId: 'clinical',
        createdAt: at('2025-03-03T20:00:00Z'),
        firstResponseDueAt: at('2025-03-04T00:00:00Z'),
      },
      // Outside the period, and a merged duplicate: neither counts.
      {
        ...base,
        cohortId: a!.id,
        category: 'refill',
        queueId: 'clinical',
        createdAt: at('2025-02-28T23:59:59Z'),
        firstRespondedAt: at('2025-03-01T00:00:00Z'),
        firstResponseDueAt: at('2025-03-01T03:59:59Z'),
      },
      {
        ...base,
        status: 'merged',
        cohortId: a!.id,
        category: 'billing',
        queueId: 'billing',
        createdAt: at('2025-03-02T12:00:00Z'),
      },
    ]);
  }

  it('gives exact tickets per 1,000 patients, first-response p90 and refill attainment', async () => {
    await fixture();
    const m = await supportMetrics(app.database.db, {
      from: new Date('2025-03-01T00:00:00Z'),
      to: new Date('2025-03-04T00:00:00Z'),
      now: new Date('2025-03-03T21:00:00Z'),
    });
    // 5 tickets, 12 patients.
    expect(m.overall).toEqual({ tickets: 5, patients: 12, per1000: 416.67 });
    expect(m.byCohort.map((c) => [c.cohort, c.tickets, c.patients, c.per1000])).toEqual([
      ['Cohort A', 2, 4, 500],
      ['Cohort B', 3, 8, 375],
    ]);
    expect(m.bySubtype.map((s) => [s.category, s.subtype, s.tickets, s.per1000])).toEqual([
      ['refill', null, 2, 166.67],
      ['refill', 'new_request', 1, 83.33],
      ['refill', 'status', 1, 83.33],
      ['sign_in', 'forgot_password', 1, 83.33],
    ]);
    expect(m.byDay.map((d) => [d.day, d.tickets, d.per1000])).toEqual([
      ['2025-03-01', 2, 166.67],
      ['2025-03-02', 1, 83.33],
      ['2025-03-03', 2, 166.67],
    ]);
    // Answered after 10, 30 and 360 minutes: the 90th percentile interpolates 30 + 0.8 × 330 = 294.
    expect(m.firstResponse.p90Minutes).toBe(294);
    expect(m.firstResponse.answered).toBe(3);
    expect(
      m.firstResponse.byQueue.filter((q) => q.answered > 0).map((q) => [q.queueId, q.answered, q.p90Minutes]),
    ).toEqual([
      // 30 and 360: 30 + 0.9 × 330 = 327.
      ['clinical', 2, 327],
      ['sign_in', 1, 10],
    ]);
    expect(m.firstResponse.byQueue.find((q) => q.queueId === 'billing')).toMatchObject({
      answered: 0,
      p90Minutes: null,
    });
    expect(m.refillSla).toEqual({ met: 1, missed: 2, pending: 1, attainment: 0.3333 });
  });

  it('shows the figures on the overview with a chart that has a title, a description and a table', async () => {
    await fixture();
    const { browser: admin } = await signedIn('admin');
    const response = await admin.get('/staff/support?from=2025-03-01&to=2025-03-03');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title id="per-day-title">Tickets opened per day (UTC)</title>');
    expect(html).toContain(
      '<desc id="per-day-desc">5 tickets from 2025-03-01 to 2025-03-03; the busiest day was 2025-03-01 with 2. The table below has every day.</desc>',
    );
    expect(html).toContain('aria-labelledby="per-day-title per-day-desc"');
    const words = text(html);
    expect(words).toContain(
      '5 tickets from 2025-03-01 to 2025-03-03: 416.67 per 1,000 patients (12 patients).',
    );
    expect(words).toContain('2025-03-02 1 83.33');
    expect(words).toContain('Cohort A 2 4 500');
    expect(words).toContain('Cohort B 3 8 375');
    expect(words).toContain('9 in 10 first answers came within 294 min (4.9 h) (3 tickets answered).');
    expect(words).toContain('Clinical (refills, safety) 2 327 min (5.5 h)');
    // Today is long after every due time: both unanswered refills count as late.
    expect(words).toContain(
      '25% of refill requests got a first answer in time: 1 in time, 3 late or still unanswered past due.',
    );
    expect(html).toContain('href="/staff/support/rules"');
    expect(html).toContain('href="/staff/support/views"');
  });
});
