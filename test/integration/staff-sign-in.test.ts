import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents, staff as staffTable } from '../../db/schema/index.ts';
import { currentTotp } from '../../identity/staff/totp.ts';
import { startTestApp, TestBrowser, type TestApp } from '../support/app.ts';
import { enrolledStaff, signIn } from '../support/staff.ts';
import { tamper } from '../support/db.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  await app.database.reset();
});

async function auditActions() {
  const rows = await app.database.db
    .select({ action: auditEvents.action, data: auditEvents.data })
    .from(auditEvents)
    .orderBy(auditEvents.seq);
  return rows;
}

/** An admin and a support agent, each signed in in their own browser. */
async function adminAndAgentSignedIn() {
  const admin = await enrolledStaff(app, 'ada@clinic.example', 'admin');
  const agent = await enrolledStaff(app, 'bo@clinic.example', 'support');
  const adminBrowser = new TestBrowser(app.url);
  const agentBrowser = new TestBrowser(app.url);
  await signIn(app, adminBrowser, 'ada@clinic.example', admin.temporaryPassword, admin.secret);
  await signIn(app, agentBrowser, 'bo@clinic.example', agent.temporaryPassword, agent.secret);
  return { admin, adminBrowser, agent, agentBrowser };
}

describe('staff sign-in', () => {
  it('takes a new staff member through password, authenticator enrolment with a QR code and a new password', async () => {
    const added = await app.services.staff.addStaff(
      { email: 'Nora.Admin@Clinic.example', role: 'admin' },
      { type: 'cli' },
    );
    if (!added.ok) throw new Error(added.reason);
    const browser = new TestBrowser(app.url);

    const afterPassword = await browser.submit('/staff/login', {
      email: 'nora.admin@clinic.example',
      password: added.temporaryPassword,
    });
    expect(afterPassword.status).toBe(302);
    expect(afterPassword.headers.get('location')).toBe('/staff/login/enroll?next=%2Fstaff');

    // The password alone does not open the console.
    const tooEarly = await browser.get('/staff');
    expect(tooEarly.status).toBe(302);
    expect(tooEarly.headers.get('location')).toMatch(/^\/staff\/login\?/);

    const enrollPage = await browser.get('/staff/login/enroll?next=%2Fstaff');
    const html = await enrollPage.text();
    expect(enrollPage.status).toBe(200);
    expect(html).toContain('src="data:image/svg+xml;base64,');
    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1]?.replace(/ /g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    const wrong = await browser.submit('/staff/login/enroll?next=%2Fstaff', {
      code: '000000' === currentTotp(secret!, app.clock.now().getTime()) ? '111111' : '000000',
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That code did not work');

    const enrolled = await browser.submit('/staff/login/enroll?next=%2Fstaff', {
      code: currentTotp(secret!, app.clock.now().getTime()),
    });
    expect(enrolled.status).toBe(302);
    expect(enrolled.headers.get('location')).toBe('/staff/login/new-password?next=%2Fstaff');

    const short = await browser.submit('/staff/login/new-password', { password: 'short', confirm: 'short' });
    expect(short.status).toBe(400);
    const done = await browser.submit('/staff/login/new-password', {
      password: 'correct horse battery staple',
      confirm: 'correct horse battery staple',
    });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/staff');

    const consolePage = await browser.get('/staff');
    expect(consolePage.status).toBe(200);
    expect(consolePage.headers.get('cache-control')).toBe('no-store');
    const consoleHtml = await consolePage.text();
    expect(consoleHtml).toContain('nora.admin@clinic.example');
    expect(consoleHtml).toContain('href="/staff/audit"');

    const actions = (await auditActions()).map((r) => r.action);
    expect(actions).toEqual([
      'staff.created',
      'staff.sign_in_failed',
      'staff.totp_enrolled',
      'staff.password_changed',
      'staff.sign_in',
    ]);
  });

  it('requires the TOTP code: a right password and a wrong code never reach the console', async () => {
    const member = await enrolledStaff(app, 'sam@clinic.example', 'support');
    const browser = new TestBrowser(app.url);
    await browser.submit('/staff/login', { email: 'sam@clinic.example', password: member.temporaryPassword });
    const wrong = await browser.submit('/staff/login/verify', {
      code: '123456' === currentTotp(member.secret, app.clock.now().getTime()) ? '654321' : '123456',
    });
    expect(wrong.status).toBe(401);
    const blocked = await browser.get('/staff');
    expect(blocked.status).toBe(302);
    expect(blocked.headers.get('location')).toContain('/staff/login');
  });

  it('refuses a TOTP code that was already used', async () => {
    const member = await enrolledStaff(app, 'ria@clinic.example', 'support');
    const first = new TestBrowser(app.url);
    await signIn(app, first, 'ria@clinic.example', member.temporaryPassword, member.secret);
    const code = currentTotp(member.secret, app.clock.now().getTime());
    const second = new TestBrowser(app.url);
    await second.submit('/staff/login', { email: 'ria@clinic.example', password: member.temporaryPassword });
    const replay = await second.submit('/staff/login/verify', { code });
    expect(replay.status).toBe(401);
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    await enrolledStaff(app, 'lee@clinic.example', 'support');
    const browser = new TestBrowser(app.url);
    const unknown = await browser.submit('/staff/login', {
      email: 'nobody@clinic.example',
      password: 'whatever-password',
    });
    const wrong = await browser.submit('/staff/login', {
      email: 'lee@clinic.example',
      password: 'whatever-password',
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const message = 'That email and password do not match an active staff account.';
    expect(await unknown.text()).toContain(message);
    expect(await wrong.text()).toContain(message);
    const unknownEvent = (await auditActions()).find((r) => r.data.reason === 'unknown_email');
    expect(unknownEvent?.data.emailSha256).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(unknownEvent)).not.toContain('nobody@');
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/causeway_staff_sign_ins_total\{outcome="unknown_email"\} [1-9]/);
    expect(metrics).toMatch(/causeway_staff_sign_ins_total\{outcome="bad_password"\} [1-9]/);
  });

  it('locks an account after five failures, even against the right password, and audits it', async () => {
    const member = await enrolledStaff(app, 'kim@clinic.example', 'support');
    const browser = new TestBrowser(app.url);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await browser.submit('/staff/login', { email: 'kim@clinic.example', password: `wrong-${i}` }))
          .status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await browser.submit('/staff/login', {
      email: 'kim@clinic.example',
      password: member.temporaryPassword,
    });
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBe('900');
    expect(await right.text()).toContain('This account is locked');
    const actions = (await auditActions()).map((r) => r.action);
    expect(actions.filter((a) => a === 'staff.sign_in_failed')).toHaveLength(6);
    expect(actions).toContain('staff.locked');

    app.clock.advance(15 * 60_000 + 1_000);
    await signIn(app, browser, 'kim@clinic.example', member.temporaryPassword, member.secret);
    expect((await browser.get('/staff')).status).toBe(200);
  });

  it('answers 403 to a role that may not open a page, and audits the attempt', async () => {
    const member = await enrolledStaff(app, 'sue@clinic.example', 'support');
    const browser = new TestBrowser(app.url);
    await signIn(app, browser, 'sue@clinic.example', member.temporaryPassword, member.secret);
    const home = await browser.get('/staff');
    const html = await home.text();
    expect(html).not.toContain('href="/staff/audit"');
    expect(html).not.toContain('href="/staff/team"');
    const audit = await browser.get('/staff/audit');
    expect(audit.status).toBe(403);
    expect(await audit.text()).toContain('You do not have access to this page');
    const team = await browser.submit('/staff/team', {
      intent: 'change_role',
      staffId: member.staff.id,
      role: 'admin',
    });
    expect(team.status).toBe(403);
    const [row] = await app.database.db.select().from(staffTable).where(eq(staffTable.id, member.staff.id));
    expect(row?.role).toBe('support');
    const denied = (await auditActions()).filter((r) => r.action === 'staff.access_denied');
    expect(denied.map((r) => r.data.path)).toEqual(['/staff/audit', '/staff/team']);
  });

  it('ends a revoked session at once', async () => {
    const { adminBrowser, agentBrowser } = await adminAndAgentSignedIn();
    expect((await agentBrowser.get('/staff')).status).toBe(200);

    const sessions = await app.services.staff.listActiveSessions();
    const agentSession = sessions.find((s) => s.email === 'bo@clinic.example');
    const revoke = await adminBrowser.submit('/staff/team', {
      intent: 'revoke_session',
      sessionId: agentSession!.id,
    });
    expect(revoke.status).toBe(200);
    expect(await revoke.text()).toContain('Session ended.');

    const after = await agentBrowser.get('/staff');
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toBe('/staff/login?next=%2Fstaff&reason=ended');
    const revoked = (await auditActions()).filter((r) => r.action === 'staff.session_revoked');
    expect(revoked).toHaveLength(1);
  });

  it('audits a role change and makes the member sign in again under the new role', async () => {
    const { admin, adminBrowser, agent, agentBrowser } = await adminAndAgentSignedIn();
    const change = await adminBrowser.submit('/staff/team', {
      intent: 'change_role',
      staffId: agent.staff.id,
      role: 'clinical',
    });
    expect(change.status).toBe(200);
    expect((await agentBrowser.get('/staff')).status).toBe(302);
    const changed = (await auditActions()).find((r) => r.action === 'staff.role_changed');
    expect(changed?.data).toEqual({ from: 'support', to: 'clinical' });
    // The last admin cannot demote themself.
    const self = await adminBrowser.submit('/staff/team', {
      intent: 'change_role',
      staffId: admin.staff.id,
      role: 'support',
    });
    expect(self.status).toBe(409);
  });

  it('signs out an idle session, and "I\'m still here" keeps an active one', async () => {
    const member = await enrolledStaff(app, 'ivy@clinic.example', 'marketing');
    const browser = new TestBrowser(app.url);
    await signIn(app, browser, 'ivy@clinic.example', member.temporaryPassword, member.secret);
    const idle = app.services.config.staff.idleTimeoutMs;

    app.clock.advance(idle - 60_000);
    const csrf = await browser.csrfToken();
    const extend = await browser.submit('/staff/session', {}, { csrf });
    expect(extend.status).toBe(200);
    app.clock.advance(idle - 60_000);
    expect((await browser.get('/staff')).status).toBe(200);

    app.clock.advance(idle + 1_000);
    const expired = await browser.get('/staff');
    expect(expired.status).toBe(302);
    expect(expired.headers.get('location')).toContain('reason=ended');
    const ended = (await auditActions()).find((r) => r.action === 'staff.session_ended');
    expect(ended?.data.reason).toBe('idle');
  });

  it('verifies the audit chain for an admin when asked, and shows where it breaks', async () => {
    const admin = await enrolledStaff(app, 'ada@clinic.example', 'admin');
    const browser = new TestBrowser(app.url);
    await signIn(app, browser, 'ada@clinic.example', admin.temporaryPassword, admin.secret);
    const page = await (await browser.get('/staff/audit')).text();
    expect(page).toContain('staff.sign_in');
    expect(page).toContain('Verify the whole chain');
    expect(page).not.toContain('The chain holds');
    expect(await (await browser.get('/staff/audit?verify=1')).text()).toContain(
      'The chain holds: all 2 events verified.',
    );
    await tamper(app.database, `UPDATE audit_events SET data = '{}' WHERE seq = 1`);
    expect(await (await browser.get('/staff/audit?verify=1')).text()).toContain(
      'The chain is broken at event 1 (row altered)',
    );
  });

  it('signs out with a POST that revokes the session', async () => {
    const member = await enrolledStaff(app, 'max@clinic.example', 'clinical');
    const browser = new TestBrowser(app.url);
    await signIn(app, browser, 'max@clinic.example', member.temporaryPassword, member.secret);
    const getLogout = await browser.get('/staff/logout');
    expect(getLogout.status).toBe(302);
    expect((await browser.get('/staff')).status).toBe(200);
    const out = await browser.submit('/staff/logout', {});
    expect(out.headers.get('location')).toBe('/staff/login?reason=signed_out');
    expect((await browser.get('/staff')).status).toBe(302);
    expect((await auditActions()).map((r) => r.action)).toContain('staff.sign_out');
  });

  it('refuses a form without its CSRF token, and a post from another site', async () => {
    const member = await enrolledStaff(app, 'joe@clinic.example', 'support');
    const browser = new TestBrowser(app.url);
    const noToken = await browser.submit(
      '/staff/login',
      { email: 'joe@clinic.example', password: member.temporaryPassword },
      { csrf: null },
    );
    expect(noToken.status).toBe(403);
    const crossSite = await browser.submit(
      '/staff/login',
      { email: 'joe@clinic.example', password: member.temporaryPassword },
      { origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(browser.hasCookie('cw_staff')).toBe(false);
  });
});
