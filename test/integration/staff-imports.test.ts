import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents, patients } from '../../db/schema/index.ts';
import type { ImportSummary } from '../../identity/import/import-patients.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';
import { importSampleExport } from '../support/fixtures.ts';

let app: TestApp;
let summary: ImportSummary;

beforeAll(async () => {
  app = await startTestApp();
  summary = await importSampleExport({ db: app.database.db, cipher: app.services.cipher });
});
afterAll(async () => {
  await app?.close();
});

describe('imports in the staff console', () => {
  it('lists runs with their counts, and shows a run row by row with contact details masked by role', async () => {
    const { browser: support } = await signedInStaff(app, 'sam@clinic.example', 'support');
    const list = await (await support.get('/staff/imports')).text();
    expect(list).toContain('legacy-export-sample.csv');
    expect(list).toContain(`href="/staff/imports/${summary.runId}"`);

    const run = await (await support.get(`/staff/imports/${summary.runId}?outcome=flagged`)).text();
    expect(run).toContain('flagged (5)');
    expect(run).toContain('duplicate email');
    expect(run).toContain('MARIA.LOPEZ@example.org');
    expect(run).toContain('/problems.csv');

    const { browser: marketing } = await signedInStaff(app, 'mo@clinic.example', 'marketing');
    const masked = await (await marketing.get(`/staff/imports/${summary.runId}?outcome=flagged`)).text();
    expect(masked).toContain('M••••••@example.org');
    expect(masked).not.toContain('MARIA.LOPEZ@example.org');
    expect(masked).not.toContain('/problems.csv');
    expect(masked).not.toContain('href="/staff/patients/');
  });

  it('downloads skipped and flagged rows as CSV for correction, audited, and only for roles that may', async () => {
    const { member, browser } = await signedInStaff(app, 'ria@clinic.example', 'support');
    const response = await browser.get(`/staff/imports/${summary.runId}/problems.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const rows = parse(await response.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    expect(rows.find((r) => r.legacy_id === 'L00012')).toMatchObject({
      line: '13',
      outcome: 'skipped',
      reasons: 'invalid_email',
    });
    expect(rows.find((r) => r.legacy_id === 'L00012')?.row_as_read).toContain('not-an-email');
    const audited = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'staff.exported_import_rows'));
    expect(audited.at(-1)).toMatchObject({ actorId: member.staff.id, subjectId: summary.runId });

    const { browser: marketing } = await signedInStaff(app, 'mia@clinic.example', 'marketing');
    expect((await marketing.get(`/staff/imports/${summary.runId}/problems.csv`)).status).toBe(403);
  });

  it("shows a patient's identity timeline to clinical staff, and audits the view", async () => {
    const [maria] = await app.database.db.select().from(patients).where(eq(patients.legacyId, 'L00001'));
    const signInResult = await app.services.patientSignIn.signInWithPassword({
      identifier: '+1 415 555 0101',
      password: 'Sunrise-Clinic-2019',
    });
    expect(signInResult).toMatchObject({ ok: true, patientId: maria!.id });

    const { member, browser } = await signedInStaff(app, 'cy@clinic.example', 'clinical');
    const page = await browser.get(`/staff/patients/${maria!.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('María López');
    expect(html).toContain('Import: imported');
    expect(html).toContain('Signed in (legacy_pwd, bcrypt hash)');
    expect(html).toContain('Password re-hashed from bcrypt to argon2id');
    expect(html).toContain('duplicate email');
    const views = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'staff.viewed_patient'));
    expect(views.at(-1)).toMatchObject({ actorId: member.staff.id, subjectId: maria!.id });

    const { browser: marketing } = await signedInStaff(app, 'max@clinic.example', 'marketing');
    expect((await marketing.get(`/staff/patients/${maria!.id}`)).status).toBe(403);
  });
});
