import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outbox } from '../../db/schema/index.ts';
import { createLogger } from '../../infra/logger.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { startTwilioServer, type TestTwilioServer } from '../../test/support/twilio.ts';
import { createSmsChannel, type SmsChannel, type TwilioSettings } from './sms.ts';
import { BaseUrlRequestClient } from './twilio-client.ts';

const database = privateTestDatabase();
const TO = '+14155550101';
const BODY = "Harbor Health: your sign-in code is ABC-123. It expires in 15 minutes. Don't share it.";
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

let twilio: TestTwilioServer;
beforeAll(async () => {
  twilio = await startTwilioServer();
});
afterAll(async () => {
  await twilio?.close();
});
beforeEach(() => {
  logs = [];
  twilio.messages.length = 0;
  twilio.requests.length = 0;
});

function settings(overrides: Partial<TwilioSettings> = {}): TwilioSettings {
  return {
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    messagingServiceSid: `MG${'a1'.repeat(16)}`,
    fromNumber: undefined,
    apiBaseUrl: twilio.baseUrl,
    ...overrides,
  };
}

describe('SMS channel with Twilio settings (the real SDK against the loopback Messages API)', () => {
  let channel: SmsChannel;
  afterEach(async () => {
    await channel?.close();
  });

  it('creates the message through the Messaging Service and answers with its SM sid', async () => {
    channel = createSmsChannel({ twilio: settings(), db: database.db, logger });
    expect(channel.mode).toBe('twilio');
    const result = await channel.send({ to: TO, body: BODY, kind: 'sign_in_code', patientId: randomUUID() });

    expect(twilio.messages).toHaveLength(1);
    const sent = twilio.messages[0]!;
    expect(result).toEqual({ ok: true, messageId: sent.sid });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent).toMatchObject({
      accountSid: twilio.accountSid,
      to: TO,
      body: BODY,
      messagingServiceSid: `MG${'a1'.repeat(16)}`,
      from: null,
      status: 'queued',
    });
    expect(twilio.requests).toEqual([
      {
        path: `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`,
        params: { To: TO, Body: BODY, MessagingServiceSid: `MG${'a1'.repeat(16)}` },
        authorized: true,
      },
    ]);
    // Nothing went to the outbox, and neither the number nor the code reached the log.
    expect(await database.db.select().from(outbox)).toEqual([]);
    expect(logs.join('')).not.toContain('4155550101');
    expect(logs.join('')).not.toContain('ABC-123');
    expect(logs.join('')).toContain(sent.sid);
  });

  it('sends from the number when there is no Messaging Service, with a status callback when asked', async () => {
    channel = createSmsChannel({
      twilio: settings({ messagingServiceSid: undefined, fromNumber: '+15550100100' }),
      db: database.db,
      logger,
    });
    const result = await channel.send({
      to: TO,
      body: 'Hello',
      kind: 'wave',
      statusCallback: 'https://portal.example/webhooks/twilio/status',
    });
    const sent = await twilio.waitForMessage((m) => m.to === TO);
    expect(result).toEqual({ ok: true, messageId: sent.sid });
    expect(sent.from).toBe('+15550100100');
    expect(sent.messagingServiceSid).toBeNull();
    expect(sent.params).toEqual({
      To: TO,
      Body: 'Hello',
      From: '+15550100100',
      StatusCallback: 'https://portal.example/webhooks/twilio/status',
    });
  });

  it('answers rejected for an unsubscribed recipient (21610)', async () => {
    channel = createSmsChannel({ twilio: settings(), db: database.db, logger });
    twilio.failNext({ status: 400, code: 21610 });
    const result = await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' });
    expect(result).toEqual({ ok: false, reason: 'rejected', detail: 'HTTP 400 code 21610' });
    expect(twilio.messages).toEqual([]);
    expect(logs.join('')).not.toContain('4155550101');
  });

  it.each([
    [{ status: 400, code: 21211 }, 'HTTP 400 code 21211'],
    [{ status: 400, code: 21614 }, 'HTTP 400 code 21614'],
    [{ status: 400, code: 30007 }, 'HTTP 400 code 30007'],
  ])('answers rejected for %o', async (failure, detail) => {
    channel = createSmsChannel({ twilio: settings(), db: database.db, logger });
    twilio.failNext(failure);
    expect(await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' })).toEqual({
      ok: false,
      reason: 'rejected',
      detail,
    });
  });

  it('answers unavailable when Twilio asks to slow down (429), and sends on the next try', async () => {
    channel = createSmsChannel({ twilio: settings(), db: database.db, logger });
    twilio.failNext({ status: 429, code: 20429 });
    expect(await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' })).toEqual({
      ok: false,
      reason: 'unavailable',
      detail: 'HTTP 429 code 20429',
    });
    const retry = await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' });
    expect(retry).toEqual({ ok: true, messageId: twilio.messages[0]!.sid });
  });

  it('answers unavailable for a Twilio server error (503) and for a dropped connection', async () => {
    channel = createSmsChannel({ twilio: settings(), db: database.db, logger });
    twilio.failNext({ status: 503, code: 20503 });
    expect(await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' })).toEqual({
      ok: false,
      reason: 'unavailable',
      detail: 'HTTP 503 code 20503',
    });
    twilio.failNext({ network: true });
    expect(await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' })).toEqual({
      ok: false,
      reason: 'unavailable',
      detail: 'ECONNRESET',
    });
  });

  it('answers unavailable when our credentials are refused (401): the number is not at fault', async () => {
    channel = createSmsChannel({
      twilio: settings({ authToken: 'not-the-right-token-at-all' }),
      db: database.db,
      logger,
    });
    expect(await channel.send({ to: TO, body: BODY, kind: 'sign_in_code' })).toEqual({
      ok: false,
      reason: 'unavailable',
      detail: 'HTTP 401 code 20003',
    });
    expect(twilio.requests.map((r) => r.authorized)).toEqual([false]);
  });
});

describe('SMS channel without Twilio settings (outbox)', () => {
  it('keeps exactly the text in the outbox and answers with its row id', async () => {
    const channel = createSmsChannel({ twilio: null, db: database.db, logger });
    expect(channel.mode).toBe('outbox');
    const patientId = randomUUID();
    const result = await channel.send({ to: TO, body: BODY, kind: 'sign_in_code', patientId });
    const rows = await database.db.select().from(outbox);
    expect(rows).toHaveLength(1);
    expect(result).toEqual({ ok: true, messageId: rows[0]!.id });
    expect(rows[0]).toMatchObject({
      channel: 'sms',
      recipient: TO,
      kind: 'sign_in_code',
      subject: null,
      bodyText: BODY,
      bodyHtml: null,
      headers: {},
      patientId,
    });
    expect(twilio.requests).toEqual([]);
    await channel.close();
  });
});

describe('the SDK base URL override', () => {
  it("moves every URI onto the base, keeping the base's path prefix and the query", () => {
    const client = new BaseUrlRequestClient('https://proxy.example.org/twilio/');
    expect(client.rewrite('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=20')).toBe(
      'https://proxy.example.org/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=20',
    );
    expect(new BaseUrlRequestClient(undefined).rewrite('https://api.twilio.com/2010-04-01/x.json')).toBe(
      'https://api.twilio.com/2010-04-01/x.json',
    );
    client.destroy();
  });
});
