import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultBrand } from '../emails/brand.ts';
import { smsSegments } from '../emails/sms.ts';
import { outbox } from '../db/schema/index.ts';
import type { SignInMessageRecipient } from '../identity/sign-in-delivery.ts';
import { loadConfig } from '../infra/env.ts';
import { createLogger } from '../infra/logger.ts';
import { privateTestDatabase } from '../test/support/db.ts';
import { startSmtpServer, type TestSmtpServer } from '../test/support/smtp.ts';
import { startTwilioServer, type TestTwilioServer } from '../test/support/twilio.ts';
import { createMessaging, type Messaging } from './messaging.ts';

const database = privateTestDatabase();
const logger = createLogger(
  { level: 'info' },
  new Writable({
    write(_chunk: Buffer, _encoding, done) {
      done();
    },
  }),
);
const PHONE = '+1 (555) 010-0100';
const LINK = 'http://127.0.0.1:3000/login/link/Xq7vR2-linkToken_9abc';

let smtp: TestSmtpServer;
let twilio: TestTwilioServer;
let messaging: Messaging;

function config(env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    PUBLIC_URL: 'http://127.0.0.1:3000',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    ...env,
  });
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  twilio = await startTwilioServer();
  messaging = createMessaging({
    config: config({
      SMTP_URL: smtp.url,
      MAIL_FROM: '"Harbor Health" <no-reply@harbor.example>',
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM_NUMBER: '+15550100100',
      TWILIO_API_BASE_URL: twilio.baseUrl,
    }),
    db: database.db,
    logger,
  });
});
afterAll(async () => {
  await messaging?.close();
  await smtp?.close();
  await twilio?.close();
});
beforeEach(() => {
  twilio.messages.length = 0;
});

function patient(overrides: Partial<SignInMessageRecipient> = {}): SignInMessageRecipient {
  return {
    id: randomUUID(),
    email: `patient.${randomBytes(4).toString('hex')}@example.org`,
    phone: '+14155550101',
    locale: 'en',
    givenName: 'María',
    ...overrides,
  };
}

async function receivedBy(address: string, messageId: string): Promise<ParsedMail> {
  const message = await smtp.waitForMessage(
    (m) => m.envelope.to.includes(address) && m.parsed.messageId === messageId,
  );
  return message.parsed;
}

function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
}

describe('sign-in link email', () => {
  it('in English: the link as a button, the same code large, the expiry, and what to do if unasked', async () => {
    const to = patient();
    const result = await messaging.deliverSignIn({
      kind: 'sign_in_link',
      channel: 'email',
      patient: to,
      link: LINK,
      code: 'ABC-123',
      expiresMinutes: 15,
    });
    expect(result).toMatchObject({
      ok: true,
      messageId: expect.stringMatching(/@harbor\.example>$/) as unknown,
    });
    const mail = await receivedBy(to.email!, (result as { messageId: string }).messageId);

    expect(mail.subject).toBe('Your Harbor Health sign-in link');
    expect(mail.text).toContain(`Sign in ${LINK}`);
    expect(mail.text).toContain('ABC-123');
    expect(mail.text).toContain('Hi María,');
    expect(mail.text).toContain('The link and the code expire in 15 minutes.');
    expect(mail.text).toContain('If you did not ask for this, you can ignore this email.');
    expect(mail.text).toContain(`Questions? Call us at ${PHONE}.`);
    expect(mail.text).toContain(`Ayuda en español gratis: llame al ${PHONE}.`);
    expect(mail.text).toContain(defaultBrand.legalFooter);

    const html = mail.html as string;
    expect(html).toMatch(/<html[^>]*lang="en"/);
    expect(hrefs(html)).toEqual([LINK, LINK, 'tel:+15550100100']);
    expect(html).toMatch(/>Sign in<\/span>/);
    expect(html).toMatch(/letter-spacing:8px[^>]*>ABC-123</);
    expect(html).toContain('lang="es"'); // the Spanish tagline is marked as Spanish
  });

  it('in Spanish, and a raw code is shown in two groups of three', async () => {
    const to = patient({ locale: 'es', givenName: null });
    const result = await messaging.deliverSignIn({
      kind: 'sign_in_link',
      channel: 'email',
      patient: to,
      link: LINK,
      code: 'k7m2pq',
      expiresMinutes: 20,
    });
    expect(result.ok).toBe(true);
    const mail = await receivedBy(to.email!, (result as { messageId: string }).messageId);

    expect(mail.subject).toBe('Su enlace para entrar a Harbor Health');
    expect(mail.text).toContain(`Entrar ${LINK}`);
    expect(mail.text).toContain('K7M-2PQ');
    expect(mail.text).toContain('Hola:');
    expect(mail.text).toContain('El enlace y el código vencen en 20 minutos.');
    expect(mail.text).toContain('Si usted no pidió esto, puede ignorar este correo.');
    expect(mail.text).toContain(`¿Preguntas? Llámenos al ${PHONE}.`);
    expect(mail.text).toContain(`Free language help: call ${PHONE}.`);

    const html = mail.html as string;
    expect(html).toMatch(/<html[^>]*lang="es"/);
    expect(hrefs(html)).toEqual([LINK, LINK, 'tel:+15550100100']);
    expect(html).toMatch(/>Entrar<\/span>/);
    expect(html).toMatch(/letter-spacing:8px[^>]*>K7M-2PQ</);
  });

  it('answers no_address when the patient has no email, and sends nothing', async () => {
    const before = smtp.messages.length;
    const result = await messaging.deliverSignIn({
      kind: 'sign_in_link',
      channel: 'email',
      patient: patient({ email: null }),
      link: LINK,
      code: 'ABC-123',
      expiresMinutes: 15,
    });
    expect(result).toEqual({ ok: false, reason: 'no_address' });
    expect(smtp.messages.length).toBe(before);
  });
});

describe('sign-in help email (several accounts share the address)', () => {
  it.each([
    [
      'en' as const,
      'Help signing in to Harbor Health',
      [
        'More than one account uses this email address, so we cannot send a sign-in link.',
        `Please call us at ${PHONE}. We will help you sign in.`,
        'If you did not ask for this, you can ignore this email.',
      ],
    ],
    [
      'es' as const,
      'Ayuda para entrar a Harbor Health',
      [
        'Hay más de una cuenta con este correo, así que no podemos enviarle un enlace para entrar.',
        `Por favor, llámenos al ${PHONE}. Le ayudaremos a entrar.`,
        'Si usted no pidió esto, puede ignorar este correo.',
      ],
    ],
  ])('in %s: no link at all, only the support phone', async (locale, subject, sentences) => {
    const to = patient({ locale });
    const result = await messaging.deliverSignIn({ kind: 'sign_in_help', channel: 'email', patient: to });
    expect(result.ok).toBe(true);
    const mail = await receivedBy(to.email!, (result as { messageId: string }).messageId);
    expect(mail.subject).toBe(subject);
    for (const sentence of sentences) expect(mail.text).toContain(sentence);
    expect(mail.text).not.toMatch(/https?:\/\//);
    expect(mail.text).not.toContain('María'); // one of several accounts: no name
    const html = mail.html as string;
    expect(html).toMatch(new RegExp(`<html[^>]*lang="${locale}"`));
    expect(hrefs(html)).toEqual(['tel:+15550100100', 'tel:+15550100100']);
    expect(html).not.toContain('/login/link/');
  });
});

describe('sign-in SMS', () => {
  it.each([
    ['en' as const, "Harbor Health: your sign-in code is ABC-123. It expires in 15 minutes. Don't share it."],
    [
      'es' as const,
      'Harbor Health: su clave para entrar es ABC-123. Vence en 15 minutos. No la comparta con nadie.',
    ],
  ])('sends the code in %s, in one GSM-7 segment', async (locale, body) => {
    const to = patient({ locale });
    const result = await messaging.deliverSignIn({
      kind: 'sign_in_code',
      channel: 'sms',
      patient: to,
      code: 'ABC-123',
      expiresMinutes: 15,
    });
    const sent = await twilio.waitForMessage((m) => m.body === body);
    expect(result).toEqual({ ok: true, messageId: sent.sid });
    expect(sent.to).toBe('+14155550101');
    expect(sent.from).toBe('+15550100100');
    expect(smsSegments(body)).toEqual({ encoding: 'GSM-7', segments: 1 });
  });

  it.each([
    [
      'en' as const,
      `Harbor Health: more than one account uses this phone number, so we can't text a sign-in code. Please call us at ${PHONE} and we'll help you sign in.`,
    ],
    [
      'es' as const,
      `Harbor Health: hay varias cuentas con este teléfono y no podemos enviarle una clave. Llame al ${PHONE} y le ayudaremos a entrar.`,
    ],
  ])('sends the help text in %s: no code, the support phone', async (locale, body) => {
    const result = await messaging.deliverSignIn({
      kind: 'sign_in_help',
      channel: 'sms',
      patient: patient({ locale }),
    });
    const sent = await twilio.waitForMessage((m) => m.body === body);
    expect(result).toEqual({ ok: true, messageId: sent.sid });
    expect(smsSegments(body)).toEqual({ encoding: 'GSM-7', segments: 1 });
  });

  it('answers no_address when the patient has no phone, and sends nothing', async () => {
    for (const message of [
      { kind: 'sign_in_code', channel: 'sms', code: 'ABC-123', expiresMinutes: 15 } as const,
      { kind: 'sign_in_help', channel: 'sms' } as const,
    ]) {
      expect(await messaging.deliverSignIn({ ...message, patient: patient({ phone: null }) })).toEqual({
        ok: false,
        reason: 'no_address',
      });
    }
    expect(twilio.messages).toEqual([]);
  });

  it('passes on a refusal as the contract says it: rejected, no provider detail', async () => {
    twilio.failNext({ status: 400, code: 21610 });
    const result = await messaging.deliverSignIn({
      kind: 'sign_in_code',
      channel: 'sms',
      patient: patient(),
      code: 'ABC-123',
      expiresMinutes: 15,
    });
    expect(result).toEqual({ ok: false, reason: 'rejected' });
  });
});

describe('without SMTP_URL and TWILIO_* (the outbox)', () => {
  it('records each message with its kind and patient', async () => {
    const local = createMessaging({ config: config(), db: database.db, logger });
    expect([local.email.mode, local.sms.mode]).toEqual(['outbox', 'outbox']);
    const to = patient({ locale: 'es' });
    const link = await local.deliverSignIn({
      kind: 'sign_in_link',
      channel: 'email',
      patient: to,
      link: LINK,
      code: 'ABC-123',
      expiresMinutes: 15,
    });
    const code = await local.deliverSignIn({
      kind: 'sign_in_code',
      channel: 'sms',
      patient: to,
      code: 'ABC-123',
      expiresMinutes: 15,
    });
    await local.close();

    const rows = await database.db.select().from(outbox).orderBy(outbox.channel);
    expect(rows.map((r) => [r.channel, r.kind, r.recipient, r.patientId, r.subject])).toEqual([
      ['email', 'sign_in_link', to.email, to.id, 'Su enlace para entrar a Harbor Health'],
      ['sms', 'sign_in_code', to.phone, to.id, null],
    ]);
    expect(link).toEqual({ ok: true, messageId: rows[0]!.id });
    expect(code).toEqual({ ok: true, messageId: rows[1]!.id });
    expect(rows[0]!.bodyText).toContain(`Entrar ${LINK}`);
    expect(rows[0]!.bodyHtml).toContain(`href="${LINK}"`);
    expect(rows[0]!.headers.From).toBe('"Harbor Health" <no-reply@127.0.0.1>');
    expect(rows[1]!.bodyText).toBe(
      'Harbor Health: su clave para entrar es ABC-123. Vence en 15 minutos. No la comparta con nadie.',
    );
  });
});
