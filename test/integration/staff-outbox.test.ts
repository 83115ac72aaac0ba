// Without SMTP or Twilio (the demo, `npm start`), messages wait in the outbox and admins read them
// in the staff console: the only way to follow a sign-in link there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents, patients } from '../../db/schema/index.ts';
import { startTestApp, TestBrowser, csrfFrom, type TestApp } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('the staff outbox', () => {
  it('shows admins the sign-in email a patient asked for, audits the read, and is closed to others', async () => {
    const [patient] = await app.database.db
      .insert(patients)
      .values({ legacyId: 'OB-1', email: 'rosa@example.org', emailNormalized: 'rosa@example.org' })
      .returning();
    const visitor = new TestBrowser(app.url);
    const login = await visitor.get('/login');
    const asked = await visitor.submit(
      '/login',
      { intent: 'email-link', identifier: 'rosa@example.org' },
      { csrf: csrfFrom(await login.text()) },
    );
    expect(asked.status).toBe(200);
    await app.services.signInLinks.settle();

    const { browser: admin, member } = await signedInStaff(app, 'ada@clinic.example', 'admin');
    const page = await admin.get('/staff/outbox');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('kept here (SMTP_URL is not set)');
    expect(html).toContain('Email to rosa@example.org: Your Harbor Health sign-in link');
    const link = /http:\/\/127\.0\.0\.1:\d+(\/login\/link\/[\w-]{43})/.exec(html)?.[1];
    expect(link).toBeDefined();
    const [read] = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'staff.viewed_outbox'));
    expect(read).toMatchObject({ actorType: 'staff', actorId: member.staff.id, data: { messages: 1 } });

    // The link from the outbox works as it would from the patient's mailbox.
    const confirm = await visitor.get(link!);
    const signedIn = await visitor.submit(
      link!,
      { intent: 'confirm' },
      { csrf: csrfFrom(await confirm.text()) },
    );
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/welcome');
    const [after] = await app.database.db.select().from(patients).where(eq(patients.id, patient!.id));
    expect(after!.state).toBe('bridged');

    const { browser: support } = await signedInStaff(app, 'sam@clinic.example', 'support');
    expect((await support.get('/staff/outbox')).status).toBe(403);
  });
});
