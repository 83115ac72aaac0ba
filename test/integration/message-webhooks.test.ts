// What comes back about messages, through the real server: texts to our number signed exactly as
// Twilio signs them (STOP/START/HELP and support messages), Twilio's status callbacks (by hand and from
// the loopback Twilio after a real send), the email provider's signed events, and the unsubscribe link
// (a page for people, RFC 8058 one-click for mail providers).
import { createHmac, randomBytes } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  cohorts,
  inboundMessages,
  patients,
  suppressions,
  waveDeliveries,
  tickets,
  waves,
  type NewPatient,
} from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { suppressedAddresses } from '../../messaging/consent.ts';
import { createDeliveryTokens, waveMessageId } from '../../messaging/delivery-tokens.ts';
import { createMessageWebhooks } from '../../messaging/webhooks.ts';
import { csrfFrom, startTestApp, TestBrowser, type TestApp } from '../support/app.ts';
import { inboundTextFields, startTwilioServer, type TestTwilioServer } from '../support/twilio.ts';

// The address Twilio and mail providers know us by; the server itself listens on a loopback port.
const PUBLIC_URL = 'https://portal.example.org';
const WEBHOOK_SECRET = randomBytes(24).toString('hex');
const OUR_NUMBER = '+12025550100';
const SUPPORT_PHONE = '+1 (555) 010-0100';

let twilioServer: TestTwilioServer;
let app: TestApp;
let counter = 0;

beforeAll(async () => {
  twilioServer = await startTwilioServer();
  app = await startTestApp(
    {
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: twilioServer.accountSid,
      TWILIO_AUTH_TOKEN: twilioServer.authToken,
      TWILIO_FROM_NUMBER: OUR_NUMBER,
      TWILIO_API_BASE_URL: twilioServer.baseUrl,
      EMAIL_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    { realClock: true },
  );
});
afterAll(async () => {
  await app?.close();
  await twilioServer?.close();
  await closeOffThreadPool();
});
beforeEach(async () => {
  await app.database.reset();
  await app.database.db.execute(sql`truncate suppressions, inbound_messages, wave_deliveries, waves cascade`);
});

async function newPatient(values: Partial<NewPatient> = {}) {
  counter += 1;
  const email = `Maria.Lopez${counter}@Example.org`;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `MW-${counter}-${randomBytes(3).toString('hex')}`,
      email,
      emailNormalized: email.toLowerCase(),
      phone: `+1202555${String(4000 + counter)}`,
      smsOptIn: true,
      emailOptIn: true,
      ...values,
    })
    .returning();
  return row!;
}

async function newDelivery(
  patientId: string,
  channel: 'email' | 'sms',
  values: Partial<typeof waveDeliveries.$inferInsert> = {},
) {
  const [cohort] = await app.database.db
    .insert(cohorts)
    .values({ name: `mw-${randomBytes(4).toString('hex')}` })
    .returning();
  const [wave] = await app.database.db
    .insert(waves)
    .values({
      cohortId: cohort!.id,
      name: 'Announcement',
      stage: 'announcement',
      channels: [channel],
      timing: 'absolute',
    })
    .returning();
  const [row] = await app.database.db
    .insert(waveDeliveries)
    .values({
      waveId: wave!.id,
      patientId,
      channel,
      sendAt: new Date(),
      state: 'sent',
      sentAt: new Date(),
      ...values,
    })
    .returning();
  return row!;
}

async function deliveryRow(id: number) {
  const [row] = await app.database.db.select().from(waveDeliveries).where(eq(waveDeliveries.id, id));
  return row!;
}

async function patientRow(id: string) {
  const [row] = await app.database.db.select().from(patients).where(eq(patients.id, id));
  return row!;
}

const allSuppressions = () => app.database.db.select().from(suppressions);
const allAudit = () => app.database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
const allInbound = () => app.database.db.select().from(inboundMessages);
const sid = () => `SM${randomBytes(16).toString('hex')}`;

/** Posts form fields to one of our Twilio webhooks, signed by Twilio's own code for the URL it called. */
async function twilioPost(
  path: string,
  params: Record<string, string>,
  options: { signedUrl?: string; authToken?: string; signature?: string | null } = {},
) {
  const signature =
    options.signature === undefined
      ? twilio.getExpectedTwilioSignature(
          options.authToken ?? twilioServer.authToken,
          options.signedUrl ?? `${PUBLIC_URL}${path}`,
          params,
        )
      : options.signature;
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature === null ? {} : { 'x-twilio-signature': signature }),
    },
    body: new URLSearchParams(params),
    redirect: 'manual',
  });
}

/** An incoming text, with the fields Twilio sends. */
function inboundText(from: string, body: string, messageSid = sid()) {
  return inboundTextFields({
    accountSid: twilioServer.accountSid,
    from,
    to: OUR_NUMBER,
    body,
    messageSid,
  });
}

/** The reply a phone would show for a TwiML answer (null for an empty `<Response/>`). */
async function replyOf(response: Response): Promise<string | null> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
  const xml = await response.text();
  if (/^<\?xml version="1.0" encoding="UTF-8"\?><Response\/>$/.test(xml)) return null;
  const match =
    /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>([^<]*)<\/Message><\/Response>$/.exec(xml);
  if (!match) throw new Error(`not the TwiML we expect: ${xml}`);
  return match[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('texts to our number', () => {
  it('a signed STOP turns texts off at once, and START turns them back on', async () => {
    const patient = await newPatient();
    const stop = await twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, 'STOP'));
    // Twilio answers its own STOP; we add nothing.
    expect(await replyOf(stop)).toBeNull();
    expect((await patientRow(patient.id)).smsOptIn).toBe(false);
    expect(await allSuppressions()).toEqual([
      expect.objectContaining({ channel: 'sms', address: patient.phone, reason: 'stop', scope: 'all' }),
    ]);
    const stopped = await allAudit();
    expect(
      stopped.map((e) => ({ action: e.action, actorType: e.actorType, actorId: e.actorId, data: e.data })),
    ).toEqual([
      {
        action: 'patient.sms_opted_out',
        actorType: 'patient',
        actorId: patient.id,
        data: { via: 'sms_keyword', keyword: 'stop', before: { smsOptIn: true }, after: { smsOptIn: false } },
      },
    ]);
    expect(JSON.stringify(stopped)).not.toContain(patient.phone!.slice(2));
    expect(await allInbound()).toEqual([
      expect.objectContaining({
        channel: 'sms',
        fromAddress: patient.phone,
        patientId: patient.id,
        handledAs: 'stop',
      }),
    ]);

    const start = await twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, ' start '));
    expect(await replyOf(start)).toBeNull();
    expect((await patientRow(patient.id)).smsOptIn).toBe(true);
    expect(await allSuppressions()).toEqual([]);
    expect((await allAudit()).map((e) => e.action)).toEqual([
      'patient.sms_opted_out',
      'patient.sms_opted_in',
    ]);
  });

  it('answers a Spanish STOP word itself (Twilio does not know it), in Spanish', async () => {
    const patient = await newPatient();
    const reply = await replyOf(
      await twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, 'Parar')),
    );
    expect(reply).toBe(
      'Harbor Health: listo, ya no le enviaremos textos. Para recibirlos otra vez, responda COMENZAR.',
    );
    expect((await patientRow(patient.id)).smsOptIn).toBe(false);
    expect(await allSuppressions()).toHaveLength(1);
  });

  it('answers HELP in the language of the word, else the patient’s, with the brand and the help line', async () => {
    const english = await newPatient({ locale: 'en' });
    const spanish = await newPatient({ locale: 'es' });
    const ayuda = await replyOf(
      await twilioPost('/webhooks/twilio/inbound', inboundText(english.phone!, 'AYUDA')),
    );
    expect(ayuda).toBe(
      `Harbor Health: textos sobre el cambio a su portal de pacientes nuevo. Para ayuda, llame al ${SUPPORT_PHONE} o vaya a ${PUBLIC_URL}/help. Pueden aplicarse tarifas de mensajes y datos. Responda STOP para dejar de recibirlos.`,
    );
    const help = await replyOf(
      await twilioPost('/webhooks/twilio/inbound', inboundText(spanish.phone!, 'help')),
    );
    expect(help).toBe(ayuda);
    const stranger = await replyOf(
      await twilioPost('/webhooks/twilio/inbound', inboundText('+12025559876', 'Help.')),
    );
    expect(stranger).toBe(
      `Harbor Health: texts about moving to your new patient portal. For help, call ${SUPPORT_PHONE} or go to ${PUBLIC_URL}/help. Msg & data rates may apply. Reply STOP to opt out.`,
    );
    // HELP changes no consent.
    expect((await patientRow(english.id)).smsOptIn).toBe(true);
    expect(await allSuppressions()).toEqual([]);
    expect((await allInbound()).map((m) => m.handledAs)).toEqual(['help', 'help', 'help']);
  });

  it('refuses a forged or missing signature, and one made for another URL, changing nothing', async () => {
    const patient = await newPatient();
    const forged = [
      twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, 'STOP'), {
        authToken: randomBytes(16).toString('hex'),
      }),
      twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, 'STOP'), { signature: null }),
      twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, 'STOP'), {
        signature: 'bm90IGEgc2lnbmF0dXJl',
      }),
      // Signed for the address the server listens on, not the public one Twilio calls.
      twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, 'STOP'), {
        signedUrl: `${app.url}/webhooks/twilio/inbound`,
      }),
    ];
    for (const response of await Promise.all(forged)) expect(response.status).toBe(403);
    // A signed body with one field changed afterwards.
    const params = inboundText(patient.phone!, 'HELP');
    const signature = twilio.getExpectedTwilioSignature(
      twilioServer.authToken,
      `${PUBLIC_URL}/webhooks/twilio/inbound`,
      params,
    );
    const tampered = await twilioPost('/webhooks/twilio/inbound', { ...params, Body: 'STOP' }, { signature });
    expect(tampered.status).toBe(403);

    expect((await patientRow(patient.id)).smsOptIn).toBe(true);
    expect(await allSuppressions()).toEqual([]);
    expect(await allInbound()).toEqual([]);
    expect(await allAudit()).toEqual([]);
  });

  it('refuses everything when Twilio is not configured: nothing could be verified', async () => {
    const { services } = app;
    const unconfigured = createMessageWebhooks({
      db: services.database.db,
      cipher: services.cipher,
      tokens: createDeliveryTokens(services.config.secrets.SESSION_SECRET),
      config: { ...services.config, messaging: { ...services.config.messaging, twilio: null } },
      logger: services.logger,
    });
    const patient = await newPatient();
    const params = inboundText(patient.phone!, 'STOP');
    const url = `${PUBLIC_URL}/webhooks/twilio/inbound`;
    const signature = twilio.getExpectedTwilioSignature(twilioServer.authToken, url, params);
    expect(await unconfigured.twilioInbound({ url, params, signature })).toEqual({ status: 403 });
    expect(await unconfigured.twilioStatus({ url, params, signature })).toEqual({ status: 403 });
    expect((await patientRow(patient.id)).smsOptIn).toBe(true);
    expect(await allInbound()).toEqual([]);
  });

  it('keeps a retried webhook (same MessageSid) once, and applies its STOP once', async () => {
    const patient = await newPatient();
    const params = inboundText(patient.phone!, 'STOP');
    const answers = await Promise.all([
      twilioPost('/webhooks/twilio/inbound', params),
      twilioPost('/webhooks/twilio/inbound', params),
    ]);
    answers.push(await twilioPost('/webhooks/twilio/inbound', params));
    for (const answer of answers) expect(await replyOf(answer)).toBeNull();
    expect(await allInbound()).toHaveLength(1);
    expect((await allAudit()).map((e) => e.action)).toEqual(['patient.sms_opted_out']);
  });

  it('keeps a support message encrypted and answers with where a person will reply and crisis lines', async () => {
    const patient = await newPatient({ locale: 'es' });
    const body = 'Please stop calling me about the lisinopril refill <3 & thanks';
    const reply = await replyOf(
      await twilioPost('/webhooks/twilio/inbound', inboundText(patient.phone!, body)),
    );
    // The number is on file but not verified: the ticket is not tied to the patient, so the answer
    // links to the request's private page rather than the sign-in-only help page.
    const [ticket] = await app.database.db.select().from(tickets);
    expect(ticket).toMatchObject({ channel: 'sms', patientId: null, category: 'other' });
    // Untied, the sender is answered in the language they wrote in (English here), not the account's.
    expect(reply).toBe(
      `Harbor Health: we got your message (request #${ticket!.number}). A person will answer you in the portal: ${app.services.support.readLink(ticket!.id)}. If this is an emergency, call 911. For a mental-health crisis call or text 988.`,
    );
    const [row] = await allInbound();
    expect(row).toMatchObject({ handledAs: 'support', patientId: patient.id, fromAddress: patient.phone });
    expect(app.services.cipher.decrypt(row!.bodyEncrypted)).toBe(body);
    // Nowhere in the table, the audit log or the server's log in clear.
    const dump = await app.database.db.execute(
      sql`select inbound_messages::text as line from inbound_messages`,
    );
    expect(JSON.stringify(dump)).not.toContain('lisinopril');
    expect(JSON.stringify(await allAudit())).not.toContain('lisinopril');
    expect(app.logs.join('\n')).not.toContain('lisinopril');
    expect(app.logs.join('\n')).not.toContain(patient.phone!.slice(2));
    // "please stop calling" asks for something: consent does not change.
    expect((await patientRow(patient.id)).smsOptIn).toBe(true);

    const english = await replyOf(
      await twilioPost('/webhooks/twilio/inbound', inboundText('+12025559877', 'hi')),
    );
    const second = (await app.database.db.select().from(tickets)).find((t) => t.id !== ticket!.id)!;
    expect(english).toBe(
      `Harbor Health: we got your message (request #${second.number}). A person will answer you in the portal: ${app.services.support.readLink(second.id)}. If this is an emergency, call 911. For a mental-health crisis call or text 988.`,
    );
  });

  it('links a message to its patient only when exactly one patient has the number; STOP covers them all', async () => {
    const phone = '+12025550199';
    const first = await newPatient({ phone });
    const second = await newPatient({ phone });
    expect(
      await replyOf(await twilioPost('/webhooks/twilio/inbound', inboundText(phone, 'stop'))),
    ).toBeNull();
    expect((await allInbound())[0]!.patientId).toBeNull();
    expect((await patientRow(first.id)).smsOptIn).toBe(false);
    expect((await patientRow(second.id)).smsOptIn).toBe(false);
    expect((await allAudit()).map((e) => e.actorId).sort()).toEqual([first.id, second.id].sort());
  });
});

describe('Twilio status callbacks', () => {
  const statusParams = (messageSid: string, status: string, to: string, errorCode?: number) => ({
    AccountSid: twilioServer.accountSid,
    ApiVersion: '2010-04-01',
    MessageSid: messageSid,
    SmsSid: messageSid,
    MessageStatus: status,
    SmsStatus: status,
    To: to,
    From: OUR_NUMBER,
    ...(errorCode ? { ErrorCode: String(errorCode) } : {}),
  });

  it('records a signed callback on the delivery named in its URL; a late "sent" changes nothing', async () => {
    const patient = await newPatient();
    const delivery = await newDelivery(patient.id, 'sms', { state: 'sending', sentAt: null });
    const messageSid = sid();
    const path = `/webhooks/twilio/status?d=${delivery.id}`;
    const delivered = await twilioPost(path, statusParams(messageSid, 'delivered', patient.phone!));
    expect(delivered.status).toBe(204);
    expect(await deliveryRow(delivery.id)).toMatchObject({
      state: 'delivered',
      providerMessageId: messageSid,
      providerStatus: 'delivered',
    });
    const late = await twilioPost(path, statusParams(messageSid, 'sent', patient.phone!));
    expect(late.status).toBe(204);
    expect(await deliveryRow(delivery.id)).toMatchObject({ state: 'delivered', providerStatus: 'delivered' });
  });

  it('refuses a callback whose delivery id was changed after Twilio signed the URL', async () => {
    const patient = await newPatient();
    const mine = await newDelivery(patient.id, 'sms', { state: 'sending', sentAt: null });
    const other = await newDelivery(patient.id, 'sms', { state: 'sending', sentAt: null });
    const params = statusParams(sid(), 'failed', patient.phone!, 30007);
    const signature = twilio.getExpectedTwilioSignature(
      twilioServer.authToken,
      `${PUBLIC_URL}/webhooks/twilio/status?d=${mine.id}`,
      params,
    );
    const moved = await twilioPost(`/webhooks/twilio/status?d=${other.id}`, params, { signature });
    expect(moved.status).toBe(403);
    expect((await deliveryRow(other.id)).state).toBe('sending');
    expect((await deliveryRow(mine.id)).state).toBe('sending');
  });

  it('fails the delivery on 21610 and suppresses the number; 30007 only fails it', async () => {
    const patient = await newPatient();
    const stopped = await newDelivery(patient.id, 'sms', {
      providerMessageId: sid(),
      providerStatus: 'queued',
    });
    const filtered = await newDelivery(patient.id, 'sms', {
      providerMessageId: sid(),
      providerStatus: 'queued',
    });
    // Found by MessageSid when the URL carries no id.
    const one = await twilioPost(
      '/webhooks/twilio/status',
      statusParams(filtered.providerMessageId!, 'undelivered', patient.phone!, 30007),
    );
    expect(one.status).toBe(204);
    expect(await deliveryRow(filtered.id)).toMatchObject({ state: 'failed', reason: 'twilio_30007' });
    expect(await allSuppressions()).toEqual([]);
    const two = await twilioPost(
      `/webhooks/twilio/status?d=${stopped.id}`,
      statusParams(stopped.providerMessageId!, 'failed', patient.phone!, 21610),
    );
    expect(two.status).toBe(204);
    expect(await deliveryRow(stopped.id)).toMatchObject({ state: 'failed', reason: 'twilio_21610' });
    expect(await allSuppressions()).toEqual([
      expect.objectContaining({
        channel: 'sms',
        address: patient.phone,
        reason: 'stop',
        scope: 'all',
        deliveryId: stopped.id,
      }),
    ]);
  });
});

describe('status callbacks from the loopback Twilio after a real send', () => {
  // Here the public URL is the server's own, so the loopback Twilio can call it back.
  let direct: TestApp;
  beforeAll(async () => {
    direct = await startTestApp(
      {
        TWILIO_ACCOUNT_SID: twilioServer.accountSid,
        TWILIO_AUTH_TOKEN: twilioServer.authToken,
        TWILIO_FROM_NUMBER: OUR_NUMBER,
        TWILIO_API_BASE_URL: twilioServer.baseUrl,
      },
      { realClock: true },
    );
  });
  afterAll(async () => {
    await direct?.close();
  });

  it("reconciles a delivery whose worker died after sending ('unknown'), then ignores a late 'sent'", async () => {
    const email = `direct${randomBytes(3).toString('hex')}@example.org`;
    const [patient] = await direct.database.db
      .insert(patients)
      .values({
        legacyId: `D-${randomBytes(4).toString('hex')}`,
        phone: '+12025550177',
        email,
        emailNormalized: email,
        smsOptIn: true,
      })
      .returning();
    const [cohort] = await direct.database.db
      .insert(cohorts)
      .values({ name: `d-${randomBytes(4).toString('hex')}` })
      .returning();
    const [wave] = await direct.database.db
      .insert(waves)
      .values({
        cohortId: cohort!.id,
        name: 'Reminder',
        stage: 'reminder',
        channels: ['sms'],
        timing: 'absolute',
      })
      .returning();
    const [delivery] = await direct.database.db
      .insert(waveDeliveries)
      .values({
        waveId: wave!.id,
        patientId: patient!.id,
        channel: 'sms',
        sendAt: new Date(),
        state: 'unknown',
        attempts: 1,
      })
      .returning();
    const sent = await direct.services.messaging.sms.send({
      to: patient!.phone!,
      body: 'Harbor Health: your portal moves soon.',
      kind: 'wave',
      statusCallback: `${direct.services.config.publicUrl}/webhooks/twilio/status?d=${delivery!.id}`,
    });
    expect(sent.ok).toBe(true);
    const messageSid = (sent as { messageId: string }).messageId;
    const row = async () =>
      (await direct.database.db.select().from(waveDeliveries).where(eq(waveDeliveries.id, delivery!.id)))[0]!;

    expect((await twilioServer.sendStatus(messageSid, 'sent')).status).toBe(204);
    expect(await row()).toMatchObject({
      state: 'sent',
      providerMessageId: messageSid,
      providerStatus: 'sent',
    });
    expect((await twilioServer.sendStatus(messageSid, 'delivered')).status).toBe(204);
    expect((await twilioServer.sendStatus(messageSid, 'sent')).status).toBe(204);
    const final = await row();
    expect(final).toMatchObject({ state: 'delivered', providerStatus: 'delivered' });
    expect(final.deliveredAt).toBeInstanceOf(Date);
  });
});

describe('email provider events', () => {
  const tokens = () => createDeliveryTokens(app.services.config.secrets.SESSION_SECRET);
  const messageId = (id: number) => waveMessageId(tokens(), id, 'harbor.example');

  function postEvents(
    body: string,
    signature: string | null = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
  ) {
    return fetch(`${app.url}/webhooks/email`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === null ? {} : { 'x-causeway-signature': signature }),
      },
      body,
    });
  }

  it('applies a signed batch: hard bounce, soft bounce, complaint, delivered, forwarded unsubscribe', async () => {
    const bounced = await newPatient();
    const soft = await newPatient();
    const complained = await newPatient();
    const fine = await newPatient();
    const leaving = await newPatient();
    const d1 = await newDelivery(bounced.id, 'email');
    const d2 = await newDelivery(soft.id, 'email');
    const d3 = await newDelivery(complained.id, 'email');
    const d4 = await newDelivery(fine.id, 'email', { state: 'sending', sentAt: null });
    const d5 = await newDelivery(leaving.id, 'email');
    const body = JSON.stringify({
      events: [
        { type: 'bounce', bounceType: 'hard', messageId: messageId(d1.id), recipient: bounced.email },
        { type: 'bounce', bounceType: 'soft', messageId: messageId(d2.id), recipient: soft.email },
        { type: 'complaint', messageId: messageId(d3.id), recipient: complained.email },
        { type: 'delivered', messageId: messageId(d4.id), recipient: fine.email },
        { type: 'unsubscribe', token: tokens().issue('unsubscribe', d5.id) },
        { type: 'unsubscribe', token: 'not-a-token' },
      ],
    });
    const response = await postEvents(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 6, applied: 5, ignored: 1 });
    expect(await deliveryRow(d1.id)).toMatchObject({ state: 'failed', reason: 'hard_bounce' });
    expect(await deliveryRow(d2.id)).toMatchObject({ state: 'sent', providerStatus: 'soft_bounce' });
    expect((await deliveryRow(d4.id)).state).toBe('delivered');
    const rows = await app.database.db.select().from(suppressions).orderBy(asc(suppressions.address));
    expect(rows.map((s) => [s.address, s.reason, s.scope, s.deliveryId])).toEqual(
      [
        [bounced.email!.toLowerCase(), 'hard_bounce', 'all', d1.id],
        [complained.email!.toLowerCase(), 'complaint', 'transition', d3.id],
        [leaving.email!.toLowerCase(), 'unsubscribe', 'transition', d5.id],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect((await allAudit()).map((e) => [e.action, e.actorId, e.data])).toEqual([
      ['patient.email_unsubscribed', leaving.id, { via: 'mail', scope: 'transition', deliveryId: d5.id }],
    ]);
  });

  it('refuses a forged, missing or unsigned-with-this-secret body, applying nothing', async () => {
    const patient = await newPatient();
    const d = await newDelivery(patient.id, 'email');
    const body = JSON.stringify({
      events: [{ type: 'bounce', bounceType: 'hard', messageId: messageId(d.id), recipient: patient.email }],
    });
    const wrongKey = `sha256=${createHmac('sha256', 'another-secret-entirely').update(body).digest('hex')}`;
    const otherBody = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${body} `).digest('hex')}`;
    for (const signature of [wrongKey, otherBody, null, 'sha256=abc', 'garbage']) {
      const response = await postEvents(body, signature);
      expect(response.status).toBe(403);
    }
    expect((await deliveryRow(d.id)).state).toBe('sent');
    expect(await allSuppressions()).toEqual([]);
  });

  it('answers 400 with a clear message for a malformed body, and applies none of it', async () => {
    const patient = await newPatient();
    const d = await newDelivery(patient.id, 'email');
    const notJson = await postEvents('{"events": [');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: 'The body is not JSON.' });

    const halfGood = JSON.stringify({
      events: [
        { type: 'bounce', bounceType: 'hard', messageId: messageId(d.id), recipient: patient.email },
        { type: 'complaint', recipient: 'not an address' },
      ],
    });
    const invalid = await postEvents(halfGood);
    expect(invalid.status).toBe(400);
    const { error } = (await invalid.json()) as { error: string };
    expect(error).toMatch(
      /^The body is not a valid event batch \(nothing was applied\): events\.1\.recipient: /,
    );
    expect((await deliveryRow(d.id)).state).toBe('sent');
    expect(await allSuppressions()).toEqual([]);

    const unknownType = await postEvents(
      JSON.stringify({ events: [{ type: 'opened', recipient: 'a@b.org' }] }),
    );
    expect(unknownType.status).toBe(400);
    const empty = await postEvents(JSON.stringify({ events: [] }));
    expect(empty.status).toBe(400);
  });
});

describe('the unsubscribe link', () => {
  const tokens = () => createDeliveryTokens(app.services.config.secrets.SESSION_SECRET);

  async function emailed(values: Partial<NewPatient> = {}) {
    const patient = await newPatient(values);
    const delivery = await newDelivery(patient.id, 'email', { locale: patient.locale });
    return { patient, delivery, path: `/unsubscribe/${tokens().issue('unsubscribe', delivery.id)}` };
  }

  /** The page as a person reads it: text without tags, entities decoded, spaces collapsed. */
  const textOf = (html: string) =>
    html
      .replace(/<script[\s\S]*?<\/script>/g, ' ')
      .replace(/<style[\s\S]*?<\/style>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ');

  it('GET asks, with the address masked, and changes nothing (mail scanners open links)', async () => {
    const { patient, path } = await emailed();
    for (let i = 0; i < 2; i++) {
      const page = await fetch(`${app.url}${path}`, {
        redirect: 'manual',
        headers: { 'accept-language': 'en-US' },
      });
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('private, no-store');
      const text = textOf(await page.text());
      expect(text).toContain(`Stop emails about the move to M••••••@Example.org?`);
      expect(text).toContain('You will still get the sign-in codes and links you ask for');
      expect(text).not.toContain(patient.email!.toLowerCase());
    }
    expect(await allSuppressions()).toEqual([]);
    expect(await allAudit()).toEqual([]);
  });

  it('accepts the RFC 8058 one-click POST without cookies or CSRF token, once', async () => {
    const { patient, delivery, path } = await emailed();
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
        redirect: 'manual',
      });
      // A page route always answers with its page: the provider reads the status, a person the words.
      expect(response.status).toBe(200);
      expect(textOf(await response.text())).toContain('Done. We stopped emails about the move');
    }
    expect(await allSuppressions()).toEqual([
      expect.objectContaining({
        channel: 'email',
        address: patient.email!.toLowerCase(),
        reason: 'unsubscribe',
        scope: 'transition',
        deliveryId: delivery.id,
      }),
    ]);
    expect((await allAudit()).map((e) => [e.action, e.actorType, e.actorId, e.data])).toEqual([
      [
        'patient.email_unsubscribed',
        'patient',
        patient.id,
        { via: 'one_click', scope: 'transition', deliveryId: delivery.id },
      ],
    ]);
    // Wave emails stop; sign-in codes (scope `all` only) still go.
    expect(await suppressedAddresses(app.database.db, 'email', [patient.email!])).toEqual(
      new Set([patient.email]),
    );
    expect(await suppressedAddresses(app.database.db, 'email', [patient.email!], { scope: 'all' })).toEqual(
      new Set(),
    );
  });

  it('accepts the one-click POST as multipart/form-data too, and never redirects it (a Spanish patient)', async () => {
    const { path } = await emailed({ locale: 'es' });
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const response = await fetch(`${app.url}${path}`, { method: 'POST', body: form, redirect: 'manual' });
    expect(response.status).toBe(200);
    // In the requester's language: a mail provider sends none, so English.
    expect(textOf(await response.text())).toContain('Done. We stopped emails about the move');
    expect(await allSuppressions()).toHaveLength(1);
  });

  it('refuses a browser POST without the CSRF token; with it, stops the emails and says so', async () => {
    const { patient, path } = await emailed();
    const browser = new TestBrowser(app.url);
    const page = await browser.get(path);
    const csrf = csrfFrom(await page.text());
    const refused = await browser.submit(path, {}, { csrf: null });
    expect(refused.status).toBe(403);
    expect(textOf(await refused.text())).toContain('This page has expired');
    const wrong = await browser.submit(path, {}, { csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    expect(await allSuppressions()).toEqual([]);

    const done = await browser.submit(path, {}, { csrf });
    expect(done.status).toBe(200);
    const text = textOf(await done.text());
    expect(text).toContain('Done. We stopped emails about the move');
    expect(text).toContain('We will not send more emails about the move to M••••••@Example.org.');
    expect(await allSuppressions()).toHaveLength(1);
    expect((await allAudit()).map((e) => [e.actorId, e.data])).toEqual([
      [patient.id, expect.objectContaining({ via: 'page' })],
    ]);
    // Coming back later shows it is done, and a second POST changes nothing.
    expect(textOf(await (await browser.get(path)).text())).toContain(
      'Done. We stopped emails about the move',
    );
    expect((await browser.submit(path, {}, { csrf })).status).toBe(200);
    expect(await allAudit()).toHaveLength(1);
  });

  it('shows the page in Spanish for a Spanish-speaking patient', async () => {
    const { path } = await emailed({ locale: 'es' });
    const first = await fetch(`${app.url}${path}`, {
      redirect: 'manual',
      headers: { 'accept-language': 'en-US,en' },
    });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(`${path}?lng=es`);
    const page = await fetch(`${app.url}${path}?lng=es`, { headers: { 'accept-language': 'en-US,en' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('<title>Dejar de recibir correos sobre el cambio</title>');
    const text = textOf(html);
    expect(text).toContain('¿Dejar de recibir correos sobre el cambio en M••••••@Example.org?');
    expect(text).toContain('Seguirá recibiendo los códigos y enlaces para entrar que usted pida');
    // A browser already in Spanish gets the page at once.
    const spanishBrowser = await fetch(`${app.url}${path}`, {
      redirect: 'manual',
      headers: { 'accept-language': 'es-MX' },
    });
    expect(spanishBrowser.status).toBe(200);
    // The patient can still switch language for this view.
    const english = await fetch(`${app.url}${path}?lng=en`, { redirect: 'manual' });
    expect(textOf(await english.text())).toContain('Stop emails about the move to');
    expect(await allSuppressions()).toEqual([]);
  });

  it('shows a friendly 404 for a link that is not ours, saying to call; a POST to it changes nothing', async () => {
    const { delivery } = await emailed();
    const forged = tokens().issue('open', delivery.id); // a real token, for another purpose
    for (const path of [
      `/unsubscribe/${forged}`,
      '/unsubscribe/nonsense',
      `/unsubscribe/${tokens().issue('unsubscribe', 999_999)}`,
    ]) {
      const page = await fetch(`${app.url}${path}`, { redirect: 'manual' });
      expect(page.status).toBe(404);
      const text = textOf(await page.text());
      expect(text).toContain('This link to stop emails does not work');
      expect(text).toContain(`To stop our emails, call us at ${SUPPORT_PHONE} and we will do it for you.`);
      const oneClick = await fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(oneClick.status).toBe(404);
    }
    expect(await allSuppressions()).toEqual([]);
    expect(
      await app.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'patient.email_unsubscribed'))),
    ).toEqual([]);
  });
});
