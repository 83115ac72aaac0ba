// Staff members as they are after their first sign-in, and signing them in through the real pages.
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { staff as staffTable, type StaffRole } from '../../db/schema/index.ts';
import { currentTotp } from '../../identity/staff/totp.ts';
import { TestBrowser, type TestApp } from './app.ts';

/** A staff member who has enrolled TOTP and chosen a password. */
export async function enrolledStaff(app: TestApp, email: string, role: StaffRole) {
  const added = await app.services.staff.addStaff({ email, role }, { type: 'cli' });
  if (!added.ok) throw new Error(added.reason);
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  await app.services.staff.enrollTotpSecret(added.staff.id, secret);
  await app.database.db
    .update(staffTable)
    .set({ passwordIsTemporary: false })
    .where(eq(staffTable.id, added.staff.id));
  return { ...added, secret };
}

/** Password then code through the sign-in pages; the test clock steps to a fresh TOTP window. */
export async function signIn(
  app: TestApp,
  browser: TestBrowser,
  email: string,
  password: string,
  secret: string,
) {
  const first = await browser.submit('/staff/login', { email, password });
  expect(first.status).toBe(302);
  expect(first.headers.get('location')).toBe('/staff/login/verify?next=%2Fstaff');
  app.clock.advance(30_000);
  const second = await browser.submit('/staff/login/verify', {
    code: currentTotp(secret, app.clock.now().getTime()),
  });
  expect(second.status).toBe(302);
  return second;
}

/** A new staff member of this role, signed in, in a browser of their own. */
export async function signedInStaff(app: TestApp, email: string, role: StaffRole) {
  const member = await enrolledStaff(app, email, role);
  const browser = new TestBrowser(app.url);
  await signIn(app, browser, email, member.temporaryPassword, member.secret);
  return { member, browser };
}
