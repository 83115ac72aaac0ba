// Sign-in links and codes against a real database and the real messaging channels (the outbox, as
// the default deployment sends): what the patient receives is read back and used like a patient would.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { and, asc, eq } from 'drizzle-orm';
import { auditEvents, outbox, patients, signInTokens } from '../db/schema/index.ts';
import { createLogger } from '../infra/logger.ts';
import { createMessaging } from '../messaging/messaging.ts';
import { openTestDatabase, type TestDatabase } from '../test/support/db.ts';
import { testClock, testConfig } from '../test/support/app.ts';
import { createSignInGuard } from './sign-in-guard.ts';
import { createSignInLinks, normalizeCode, type SignInLinks } from './sign-in-links.ts';

let database: TestDatabase;
let clock: ReturnType<typeof testClock>;
let links: SignInLinks;
let counter = 0;

function service(limits: { perIdentifier?: number; perAddress?: number } = {}) {
  const config = testConfig();
  const messaging = createMessaging({ config, db: database.db, logger: createLogger({ level: 'silent' }) });
  return createSignInLinks({
    db: database.db,
    secret: randomBytes(32).toString('base64url'),
    publicUrl: 'https://portal.example.org',
    defaultRegion: 'US',
    deliver: messaging.deliverSignIn,
    ttlMs: 15 * 60_000,
    requestsPerIdentifier: limits.perIdentifier ?? 5,
    requestsPerAddress: limits.perAddress ?? 30,
    windowMs: 60 * 60_000,
    guard: createSignInGuard({
      db: database.db,
      secret: randomBytes(32).toString('base64url'),
      attemptsPerAddress: 1_000,
      failuresPerIdentifier: 5,
      lockMs: 15 * 60_000,
    }),
    now: clock.now,
  });
}

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
  clock = testClock();
  links = service();
});

async function newPatient(values: Partial<typeof patients.$inferInsert> = {}) {
  counter += 1;
  const email = `link${counter}.${Date.now()}@example.org`;
  const [row] = await database.db
    .insert(patients)
    .values({
      legacyId: `LNK-${counter}-${Date.now()}`,
      email,
      emailNormalized: email,
      phone: `+1202555${String(10_000 + counter).slice(-4)}`,
      givenName: 'Rosa',
      ...values,
    })
    .returning();
  return row!;
}

/** What landed in the outbox for this address: the link and code, as the patient reads them. */
async function received(recipient: string) {
  await links.settle();
  const rows = await database.db
    .select()
    .from(outbox)
    .where(eq(outbox.recipient, recipient))
    .orderBy(asc(outbox.createdAt));
  return rows.map((row) => ({
    row,
    link: /https:\/\/portal\.example\.org\/login\/link\/([\w-]{43})/.exec(row.bodyText)?.[1] ?? '',
    code: /\b([A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3})\b/.exec(row.bodyText)?.[1] ?? '',
  }));
}

/** The one message sent to this address. */
async function only(recipient: string) {
  const messages = await received(recipient);
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

describe('asking for a sign-in link or code', () => {
  it('emails a link and a code, and stores neither', async () => {
    const patient = await newPatient();
    expect(await links.request({ identifier: patient.email!.toUpperCase(), channel: 'email' })).toEqual({
      ok: true,
    });
    const [message, ...more] = await received(patient.email!);
    expect(more).toEqual([]);
    expect(message!.row).toMatchObject({ channel: 'email', kind: 'sign_in_link', patientId: patient.id });
    expect(message!.link).toMatch(/^[\w-]{43}$/);
    expect(normalizeCode(message!.code)).toHaveLength(6);
    const [stored] = await database.db
      .select()
      .from(signInTokens)
      .where(eq(signInTokens.patientId, patient.id));
    expect(stored!.purpose).toBe('sign_in');
    expect(stored!.expiresAt.getTime() - clock.now().getTime()).toBe(15 * 60_000);
    const columns = JSON.stringify(stored);
    expect(columns).not.toContain(message!.link);
    expect(columns).not.toContain(normalizeCode(message!.code)!);
  });

  it('texts a code (no link) when the patient asks by phone', async () => {
    const patient = await newPatient();
    expect(await links.request({ identifier: patient.phone!, channel: 'sms' })).toEqual({ ok: true });
    const [message] = await received(patient.phone!);
    expect(message!.row).toMatchObject({ channel: 'sms', kind: 'sign_in_code' });
    expect(message!.link).toBe('');
    expect(message!.code).toMatch(/^[A-Z2-9]{3}-[A-Z2-9]{3}$/);
  });

  it('answers an unknown address exactly as a known one, and sends nothing', async () => {
    const answer = await links.request({ identifier: 'nobody-here@example.org', channel: 'email' });
    expect(answer).toEqual({ ok: true });
    expect(await received('nobody-here@example.org')).toEqual([]);
    const [event] = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'patient.sign_in_link_requested'));
    expect(event).toMatchObject({ subjectId: null, data: { channel: 'email', account: 'none' } });
  });

  it('says plainly when what was typed is neither an email nor a phone number', async () => {
    expect(await links.request({ identifier: 'maria', channel: 'email' })).toEqual({
      ok: false,
      reason: 'invalid_identifier',
    });
  });

  it('sends a shared address a help message instead of a link', async () => {
    const first = await newPatient();
    await newPatient({
      email: first.email,
      emailNormalized: first.emailNormalized,
      flags: ['duplicate_email'],
    });
    expect(await links.request({ identifier: first.email!, channel: 'email' })).toEqual({ ok: true });
    const [message] = await received(first.email!);
    expect(message!.row.kind).toBe('sign_in_help');
    expect(message!.link).toBe('');
    expect(await database.db.select().from(signInTokens)).toEqual([]);
  });

  it('sends nothing to a locked account, with the same answer', async () => {
    const patient = await newPatient({ state: 'locked' });
    expect(await links.request({ identifier: patient.email!, channel: 'email' })).toEqual({ ok: true });
    expect(await received(patient.email!)).toEqual([]);
  });

  it('limits requests per address typed and per network address', async () => {
    links = service({ perIdentifier: 2, perAddress: 3 });
    const patient = await newPatient();
    for (let i = 0; i < 2; i++)
      expect(await links.request({ identifier: patient.email!, channel: 'email' })).toEqual({ ok: true });
    const third = await links.request({ identifier: patient.email!, channel: 'email' });
    expect(third).toMatchObject({ ok: false, reason: 'too_many_requests' });
    expect(third.ok ? 0 : 'retryAfterSeconds' in third ? third.retryAfterSeconds : 0).toBeGreaterThan(3_000);
    expect(await received(patient.email!)).toHaveLength(2);

    for (let i = 0; i < 3; i++)
      expect(
        await links.request({ identifier: `x${i}@example.org`, channel: 'email', address: '10.1.1.1' }),
      ).toEqual({
        ok: true,
      });
    expect(
      await links.request({ identifier: 'x9@example.org', channel: 'email', address: '10.1.1.1' }),
    ).toMatchObject({
      ok: false,
      reason: 'too_many_requests',
    });
  });
});

describe('redeeming', () => {
  it('signs in once with the link; checking it first changes nothing', async () => {
    const patient = await newPatient({ emailVerified: false });
    await links.request({
      identifier: patient.email!,
      channel: 'email',
      interactionUid: 'uid-1',
      clientId: 'c1',
    });
    const { link } = await only(patient.email!);
    expect(await links.check(link)).toEqual({ ok: true, channel: 'email' });
    expect(await links.check(link)).toEqual({ ok: true, channel: 'email' });
    expect(await links.redeemLink(link)).toEqual({
      ok: true,
      patientId: patient.id,
      amr: 'magic_link',
      firstSignIn: true,
      interactionUid: 'uid-1',
      clientId: 'c1',
    });
    const [after] = await database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(after).toMatchObject({ state: 'bridged', emailVerified: true });
    expect(await links.redeemLink(link)).toEqual({ ok: false, reason: 'used', patientId: patient.id });
    expect(await links.check(link)).toEqual({ ok: false, reason: 'used', patientId: patient.id });
  });

  it('refuses an expired link, naming its patient so a new one can be sent', async () => {
    const patient = await newPatient();
    await links.request({ identifier: patient.email!, channel: 'email' });
    const { link } = await only(patient.email!);
    clock.advance(15 * 60_000 + 1);
    expect(await links.check(link)).toEqual({ ok: false, reason: 'expired', patientId: patient.id });
    expect(await links.redeemLink(link)).toEqual({ ok: false, reason: 'expired', patientId: patient.id });
    expect(await links.resend(patient.id)).toEqual({ ok: true });
    const fresh = (await received(patient.email!))[1]!;
    expect(await links.redeemLink(fresh.link)).toMatchObject({ ok: true, patientId: patient.id });
  });

  it('refuses a made-up link without naming anyone', async () => {
    const made = randomBytes(32).toString('base64url');
    expect(await links.check(made)).toEqual({ ok: false, reason: 'invalid' });
    expect(await links.redeemLink(made)).toEqual({ ok: false, reason: 'invalid' });
    expect(await links.redeemLink('short')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('takes the code only beside the address it was sent for, in any case and spacing', async () => {
    const patient = await newPatient({ phoneVerified: false });
    await links.request({ identifier: patient.phone!, channel: 'sms' });
    const { code } = await only(patient.phone!);
    expect(await links.redeemCode({ identifier: patient.email!, code })).toEqual({
      ok: false,
      reason: 'invalid',
    });
    const spaced = ` ${code.toLowerCase().replace('-', ' ')} `;
    expect(await links.redeemCode({ identifier: patient.phone!.slice(2), code: spaced })).toMatchObject({
      ok: true,
      patientId: patient.id,
      amr: 'otp',
    });
    const [after] = await database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(after!.phoneVerified).toBe(true);
    expect(await links.redeemCode({ identifier: patient.phone!, code })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('spends the link once its code is used, and the code once its link is used', async () => {
    const patient = await newPatient();
    await links.request({ identifier: patient.email!, channel: 'email' });
    const { link, code } = await only(patient.email!);
    expect(await links.redeemCode({ identifier: patient.email!, code })).toMatchObject({ ok: true });
    expect(await links.redeemLink(link)).toEqual({ ok: false, reason: 'used', patientId: patient.id });
  });

  it('pauses code guessing for an address after repeated wrong codes', async () => {
    const patient = await newPatient();
    await links.request({ identifier: patient.email!, channel: 'email' });
    const { code } = await only(patient.email!);
    const wrong = code.startsWith('A') ? 'BBB-BBB' : 'AAA-AAA';
    for (let i = 0; i < 5; i++)
      expect(await links.redeemCode({ identifier: patient.email!, code: wrong })).toEqual({
        ok: false,
        reason: 'invalid',
      });
    expect(await links.redeemCode({ identifier: patient.email!, code })).toMatchObject({
      ok: false,
      reason: 'too_many_attempts',
    });
  });

  it('does not sign in an account locked after the link was sent', async () => {
    const patient = await newPatient();
    await links.request({ identifier: patient.email!, channel: 'email' });
    const { link } = await only(patient.email!);
    await database.db.update(patients).set({ state: 'locked' }).where(eq(patients.id, patient.id));
    expect(await links.redeemLink(link)).toEqual({ ok: false, reason: 'invalid' });
    const [token] = await database.db
      .select()
      .from(signInTokens)
      .where(and(eq(signInTokens.patientId, patient.id)));
    expect(token!.consumedAt).toBeNull();
  });

  it('lets exactly one of ten simultaneous redemptions of one link win, every time', async () => {
    links = service({ perIdentifier: 1_000 });
    const patient = await newPatient();
    for (let round = 0; round < 20; round++) {
      await links.request({ identifier: patient.email!, channel: 'email' });
      const all = await received(patient.email!);
      const link = all[all.length - 1]!.link;
      const results = await Promise.all(Array.from({ length: 10 }, () => links.redeemLink(link)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'used')).toHaveLength(9);
    }
  });
});
