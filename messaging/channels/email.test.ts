import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema/index.ts';
import { createLogger } from '../../infra/logger.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { startSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { classifySmtpError, createEmailChannel, senderDomain, type EmailMessage } from './email.ts';

const database = privateTestDatabase();
const FROM = '"Harbor Health" <no-reply@harbor.example>';
let logs: string[] = [];
const logger = createLogger(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  }),
);

beforeEach(() => {
  logs = [];
});

function message(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to: 'maria.lopez@example.org',
    subject: 'Your Harbor Health sign-in link',
    text: 'Sign in: https://portal.example/login/link/tok123\n\nYour code: ABC-123',
    html: '<p><a href="https://portal.example/login/link/tok123">Sign in</a></p><p>ABC-123</p>',
    kind: 'sign_in_link',
    ...overrides,
  };
}

/** Nothing that identifies the patient or carries the message reaches the log. */
function expectCleanLogs() {
  const all = logs.join('');
  expect(all).not.toContain('maria.lopez');
  expect(all).not.toContain('tok123');
  expect(all).not.toContain('ABC-123');
}

describe('email channel without SMTP_URL (outbox)', () => {
  it('keeps exactly the message in the outbox and answers with its row id', async () => {
    const channel = createEmailChannel({ from: FROM, db: database.db, logger });
    expect(channel.mode).toBe('outbox');
    const patientId = randomUUID();
    const result = await channel.send(
      message({
        patientId,
        headers: {
          'List-Unsubscribe': '<https://portal.example/unsubscribe/u1>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      }),
    );
    const rows = await database.db.select().from(outbox);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(result).toEqual({ ok: true, messageId: row.id });
    expect(row).toMatchObject({
      channel: 'email',
      recipient: 'maria.lopez@example.org',
      kind: 'sign_in_link',
      subject: 'Your Harbor Health sign-in link',
      bodyText: 'Sign in: https://portal.example/login/link/tok123\n\nYour code: ABC-123',
      bodyHtml: '<p><a href="https://portal.example/login/link/tok123">Sign in</a></p><p>ABC-123</p>',
      patientId,
    });
    expect(row.headers).toEqual({
      From: FROM,
      'Message-ID': expect.stringMatching(/^<[0-9a-f-]{36}@harbor\.example>$/) as unknown,
      'List-Unsubscribe': '<https://portal.example/unsubscribe/u1>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expectCleanLogs();
    await channel.close();
  });

  it('keeps a Message-ID the caller chose, and a null patient when none is given', async () => {
    const channel = createEmailChannel({ from: FROM, db: database.db, logger });
    await channel.send(message({ headers: { 'message-id': '<reply.t0k3n@harbor.example>' } }));
    const [row] = await database.db.select().from(outbox);
    expect(row!.headers).toEqual({ From: FROM, 'Message-ID': '<reply.t0k3n@harbor.example>' });
    expect(row!.patientId).toBeNull();
  });
});

describe('email channel with SMTP_URL', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it('delivers over SMTP what mailparser reads back as sent, and writes nothing to the outbox', async () => {
    const channel = createEmailChannel({ smtpUrl: smtp.url, from: FROM, db: database.db, logger });
    expect(channel.mode).toBe('smtp');
    const result = await channel.send(
      message({
        to: 'maria.lopez@example.org',
        headers: {
          'List-Unsubscribe': '<https://portal.example/unsubscribe/u1>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      }),
    );
    await channel.close();
    expect(result.ok).toBe(true);
    const messageId = (result as { messageId: string }).messageId;
    expect(messageId).toMatch(/^<[0-9a-f-]{36}@harbor\.example>$/);

    const received = await smtp.waitForMessage((m) => m.parsed.messageId === messageId);
    expect(received.envelope).toEqual({
      from: 'no-reply@harbor.example',
      to: ['maria.lopez@example.org'],
    });
    const mail = received.parsed;
    expect(mail.subject).toBe('Your Harbor Health sign-in link');
    expect(mail.from?.value).toEqual([{ name: 'Harbor Health', address: 'no-reply@harbor.example' }]);
    expect(mail.text).toBe('Sign in: https://portal.example/login/link/tok123\n\nYour code: ABC-123');
    expect(mail.html).toBe(
      '<p><a href="https://portal.example/login/link/tok123">Sign in</a></p><p>ABC-123</p>',
    );
    const lines = Object.fromEntries(mail.headerLines.map((h) => [h.key, h.line]));
    expect(lines['list-unsubscribe']).toBe('List-Unsubscribe: <https://portal.example/unsubscribe/u1>');
    expect(lines['list-unsubscribe-post']).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(lines['message-id']).toBe(`Message-ID: ${messageId}`);
    expect(await database.db.select().from(outbox)).toEqual([]);
    expectCleanLogs();
  });

  it('sends several messages over one pooled channel, each with its own Message-ID', async () => {
    const channel = createEmailChannel({ smtpUrl: smtp.url, from: FROM, db: database.db, logger });
    const results = await Promise.all(
      ['ana@example.org', 'wei@example.org', 'tom@example.org'].map((to) => channel.send(message({ to }))),
    );
    await channel.close();
    const ids = results.map((r) => (r.ok ? r.messageId : r.reason));
    expect(new Set(ids).size).toBe(3);
    for (const [i, to] of ['ana@example.org', 'wei@example.org', 'tom@example.org'].entries()) {
      const received = await smtp.waitForMessage((m) => m.parsed.messageId === ids[i]);
      expect(received.envelope.to).toEqual([to]);
    }
  });

  it('answers rejected when the server refuses the recipient for good, without logging the address', async () => {
    smtp.rejectRecipient('gone@example.org', 550);
    const channel = createEmailChannel({ smtpUrl: smtp.url, from: FROM, db: database.db, logger });
    const result = await channel.send(message({ to: 'gone@example.org' }));
    await channel.close();
    expect(result).toEqual({ ok: false, reason: 'rejected', detail: 'EENVELOPE 550' });
    expect(logs.join('')).not.toContain('gone@example.org');
  });

  it('answers unavailable when the server defers the recipient (4xx)', async () => {
    smtp.rejectRecipient('full@example.org', 452);
    const channel = createEmailChannel({ smtpUrl: smtp.url, from: FROM, db: database.db, logger });
    const result = await channel.send(message({ to: 'full@example.org' }));
    await channel.close();
    expect(result).toEqual({ ok: false, reason: 'unavailable', detail: 'EENVELOPE 452' });
  });

  it('signs with DKIM when configured, covering both unsubscribe headers', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const channel = createEmailChannel({
      smtpUrl: smtp.url,
      from: FROM,
      dkim: {
        domainName: 'harbor.example',
        keySelector: 'causeway',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      db: database.db,
      logger,
    });
    const to = `dkim-${randomUUID()}@example.org`;
    const result = await channel.send(
      message({
        to,
        headers: {
          'List-Unsubscribe': '<https://portal.example/unsubscribe/u1>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      }),
    );
    await channel.close();
    expect(result.ok).toBe(true);
    const received = await smtp.waitForMessage((m) => m.envelope.to.includes(to));
    const signature = received.raw
      .match(/^DKIM-Signature:[ \t]*(.*(?:\r?\n[ \t].*)*)/im)?.[1]
      ?.replace(/\s+/g, '');
    expect(signature).toBeDefined();
    expect(signature).toContain('d=harbor.example');
    expect(signature).toContain('s=causeway');
    const signed = /(?:^|;)h=([^;]+)/.exec(signature!)![1]!.toLowerCase().split(':');
    expect(signed).toEqual(
      expect.arrayContaining(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']),
    );
  });

  it('answers unavailable when no SMTP server answers', async () => {
    const gone = await startSmtpServer();
    await gone.close();
    const channel = createEmailChannel({ smtpUrl: gone.url, from: FROM, db: database.db, logger });
    const result = await channel.send(message());
    await channel.close();
    expect(result).toEqual({ ok: false, reason: 'unavailable', detail: 'ESOCKET' });
  });
});

describe('email channel helpers', () => {
  it('takes the Message-ID domain from the From address', () => {
    expect(senderDomain('"Harbor Health" <no-reply@Harbor.Example>')).toBe('harbor.example');
    expect(senderDomain('no-reply@portal.example.org')).toBe('portal.example.org');
    expect(senderDomain('Harbor Health')).toBe('localhost');
  });

  it('treats our own refused credentials as unavailable, not as a bad address', () => {
    expect(
      classifySmtpError(Object.assign(new Error('x'), { code: 'EAUTH', responseCode: 535, permanent: true })),
    ).toEqual({ ok: false, reason: 'unavailable', detail: 'EAUTH 535' });
    expect(
      classifySmtpError(
        Object.assign(new Error('x'), { code: 'EMESSAGE', responseCode: 552, permanent: true }),
      ),
    ).toEqual({ ok: false, reason: 'rejected', detail: 'EMESSAGE 552' });
  });
});
