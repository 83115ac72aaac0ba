import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  cohorts,
  patients,
  suppressions,
  waveDeliveries,
  waves,
  type WaveDelivery,
} from '../db/schema/index.ts';
import { privateTestDatabase } from '../test/support/db.ts';
import { recordEmailEvent, recordSmsStatus } from './delivery-status.ts';
import { createDeliveryTokens, waveMessageId } from './delivery-tokens.ts';

const database = privateTestDatabase();
const tokens = createDeliveryTokens(randomBytes(32).toString('base64url'));

beforeEach(async () => {
  await database.db.execute(sql`truncate suppressions, inbound_messages, wave_deliveries, waves cascade`);
});

let counter = 0;
async function delivery(
  channel: 'email' | 'sms',
  values: Partial<typeof waveDeliveries.$inferInsert> = {},
): Promise<WaveDelivery> {
  counter += 1;
  const [patient] = await database.db
    .insert(patients)
    .values({
      legacyId: `DS-${counter}-${randomBytes(3).toString('hex')}`,
      phone: `+1202555${String(3000 + counter)}`,
      email: `ds${counter}@example.org`,
      emailNormalized: `ds${counter}@example.org`,
    })
    .returning();
  const [cohort] = await database.db
    .insert(cohorts)
    .values({ name: `cohort ${counter} ${randomBytes(3).toString('hex')}` })
    .returning();
  const [wave] = await database.db
    .insert(waves)
    .values({
      cohortId: cohort!.id,
      name: 'Reminder',
      stage: 'reminder',
      channels: [channel],
      timing: 'absolute',
    })
    .returning();
  const [row] = await database.db
    .insert(waveDeliveries)
    .values({ waveId: wave!.id, patientId: patient!.id, channel, sendAt: new Date(), ...values })
    .returning();
  return row!;
}

async function reload(id: number) {
  const [row] = await database.db.select().from(waveDeliveries).where(eq(waveDeliveries.id, id));
  return row!;
}

const sid = () => `SM${randomBytes(16).toString('hex')}`;

describe('Twilio status callbacks', () => {
  it('never lets a late "sent" overwrite "delivered"', async () => {
    const messageSid = sid();
    const d = await delivery('sms', {
      state: 'sent',
      providerMessageId: messageSid,
      providerStatus: 'queued',
      sentAt: new Date(Date.now() - 60_000),
    });
    expect(await recordSmsStatus(database.db, { messageSid, status: 'delivered' })).toEqual({
      ok: true,
      deliveryId: d.id,
      state: 'delivered',
      suppressed: false,
    });
    expect(await recordSmsStatus(database.db, { messageSid, status: 'sent' })).toEqual({
      ok: false,
      reason: 'out_of_order',
      suppressed: false,
    });
    const row = await reload(d.id);
    expect(row).toMatchObject({ state: 'delivered', providerStatus: 'delivered', sentAt: d.sentAt });
    expect(row.deliveredAt).toBeInstanceOf(Date);
  });

  it('never changes a final status: failed then delivered stays failed', async () => {
    const messageSid = sid();
    const d = await delivery('sms', { state: 'sent', providerMessageId: messageSid, providerStatus: 'sent' });
    const failed = await recordSmsStatus(database.db, { messageSid, status: 'failed', errorCode: 30007 });
    expect(failed).toEqual({ ok: true, deliveryId: d.id, state: 'failed', suppressed: false });
    const late = await recordSmsStatus(database.db, { messageSid, status: 'delivered' });
    expect(late).toMatchObject({ ok: false, reason: 'out_of_order' });
    expect(await reload(d.id)).toMatchObject({
      state: 'failed',
      providerStatus: 'failed',
      reason: 'twilio_30007',
      deliveredAt: null,
    });
    // 30007 (filtered by the carrier) fails the message, not the number.
    expect(await database.db.select().from(suppressions)).toEqual([]);
  });

  it('walks forward through queued, sending, sent; a repeated callback changes nothing', async () => {
    const messageSid = sid();
    const d = await delivery('sms', { state: 'sent', providerMessageId: messageSid, providerStatus: null });
    for (const status of ['accepted', 'sending', 'sent']) {
      expect(await recordSmsStatus(database.db, { messageSid, status })).toMatchObject({
        ok: true,
        state: 'sent',
      });
    }
    expect(await recordSmsStatus(database.db, { messageSid, status: 'sent' })).toMatchObject({
      ok: false,
      reason: 'out_of_order',
    });
    expect(await recordSmsStatus(database.db, { messageSid, status: 'queued' })).toMatchObject({
      ok: false,
      reason: 'out_of_order',
    });
    expect((await reload(d.id)).providerStatus).toBe('sent');
  });

  it('fails an undelivered message with the carrier code as its reason', async () => {
    const messageSid = sid();
    const d = await delivery('sms', { state: 'sent', providerMessageId: messageSid, providerStatus: 'sent' });
    await recordSmsStatus(database.db, { messageSid, status: 'undelivered', errorCode: 30003 });
    expect(await reload(d.id)).toMatchObject({
      state: 'failed',
      providerStatus: 'undelivered',
      reason: 'twilio_30003',
    });
  });

  it("reconciles a delivery left 'sending' by a worker that died, found by the id in the callback URL", async () => {
    const messageSid = sid();
    const d = await delivery('sms', { state: 'sending', attempts: 1 });
    expect(await recordSmsStatus(database.db, { deliveryId: d.id, messageSid, status: 'sent' })).toEqual({
      ok: true,
      deliveryId: d.id,
      state: 'sent',
      suppressed: false,
    });
    const row = await reload(d.id);
    expect(row).toMatchObject({ state: 'sent', providerMessageId: messageSid, providerStatus: 'sent' });
    expect(row.sentAt).toBeInstanceOf(Date);
  });

  it("reconciles an 'unknown' delivery: a queued callback proves it left, a delivered one finishes it", async () => {
    const messageSid = sid();
    const d = await delivery('sms', { state: 'unknown', attempts: 1 });
    expect(
      await recordSmsStatus(database.db, { deliveryId: d.id, messageSid, status: 'queued' }),
    ).toMatchObject({
      ok: true,
      state: 'sent',
    });
    const other = await delivery('sms', { state: 'unknown', attempts: 1 });
    const otherSid = sid();
    await recordSmsStatus(database.db, { deliveryId: other.id, messageSid: otherSid, status: 'delivered' });
    expect(await reload(other.id)).toMatchObject({
      state: 'delivered',
      providerMessageId: otherSid,
      providerStatus: 'delivered',
    });
  });

  it('does not let a callback about another message of the same delivery touch it', async () => {
    const d = await delivery('sms', { state: 'sent', providerMessageId: sid(), providerStatus: 'queued' });
    expect(
      await recordSmsStatus(database.db, { deliveryId: d.id, messageSid: sid(), status: 'failed' }),
    ).toMatchObject({
      ok: false,
      reason: 'out_of_order',
    });
    expect((await reload(d.id)).state).toBe('sent');
  });

  it('suppresses the number on 21610 (the recipient texted STOP to the sender)', async () => {
    const messageSid = sid();
    const d = await delivery('sms', {
      state: 'sent',
      providerMessageId: messageSid,
      providerStatus: 'queued',
    });
    const [patient] = await database.db.select().from(patients).where(eq(patients.id, d.patientId));
    const outcome = await recordSmsStatus(database.db, { messageSid, status: 'failed', errorCode: 21610 });
    expect(outcome).toEqual({ ok: true, deliveryId: d.id, state: 'failed', suppressed: true });
    expect((await reload(d.id)).reason).toBe('twilio_21610');
    expect(await database.db.select().from(suppressions)).toEqual([
      expect.objectContaining({
        channel: 'sms',
        address: patient!.phone,
        reason: 'stop',
        scope: 'all',
        deliveryId: d.id,
      }),
    ]);
  });

  it('answers not_found and unknown_status without touching anything', async () => {
    expect(await recordSmsStatus(database.db, { messageSid: sid(), status: 'delivered' })).toEqual({
      ok: false,
      reason: 'not_found',
      suppressed: false,
    });
    const messageSid = sid();
    const d = await delivery('sms', { state: 'sent', providerMessageId: messageSid, providerStatus: 'sent' });
    expect(await recordSmsStatus(database.db, { messageSid, status: 'receiving' })).toMatchObject({
      ok: false,
      reason: 'unknown_status',
    });
    expect((await reload(d.id)).providerStatus).toBe('sent');
  });

  it('never touches a skipped delivery or an email one', async () => {
    const skipped = await delivery('sms', { state: 'skipped', reason: 'no_consent' });
    expect(
      await recordSmsStatus(database.db, { deliveryId: skipped.id, messageSid: sid(), status: 'delivered' }),
    ).toMatchObject({ ok: false });
    const email = await delivery('email', { state: 'sending' });
    expect(
      await recordSmsStatus(database.db, { deliveryId: email.id, messageSid: sid(), status: 'delivered' }),
    ).toMatchObject({ ok: false });
    expect((await reload(skipped.id)).state).toBe('skipped');
    expect((await reload(email.id)).state).toBe('sending');
  });
});

describe('email events', () => {
  const messageId = (id: number) => waveMessageId(tokens, id, 'harbor.example');

  it('a hard bounce fails the delivery and suppresses the address for everything', async () => {
    const d = await delivery('email', { state: 'sent', sentAt: new Date() });
    const outcome = await recordEmailEvent(database.db, tokens, {
      type: 'bounce',
      bounceType: 'hard',
      messageId: messageId(d.id),
      recipient: 'DS.Bounce@Example.org',
    });
    expect(outcome).toEqual({ deliveryId: d.id, delivery: 'failed', suppressed: true });
    expect(await reload(d.id)).toMatchObject({
      state: 'failed',
      reason: 'hard_bounce',
      providerStatus: 'bounced',
    });
    expect(await database.db.select().from(suppressions)).toEqual([
      expect.objectContaining({
        channel: 'email',
        address: 'ds.bounce@example.org',
        reason: 'hard_bounce',
        scope: 'all',
        deliveryId: d.id,
      }),
    ]);
  });

  it('a soft bounce is only noted on the delivery', async () => {
    const d = await delivery('email', { state: 'sent', sentAt: new Date() });
    const outcome = await recordEmailEvent(database.db, tokens, {
      type: 'bounce',
      bounceType: 'soft',
      messageId: messageId(d.id),
      recipient: 'ds@example.org',
    });
    expect(outcome).toEqual({ deliveryId: d.id, delivery: 'soft_bounce', suppressed: false });
    expect(await reload(d.id)).toMatchObject({ state: 'sent', providerStatus: 'soft_bounce', reason: null });
    expect(await database.db.select().from(suppressions)).toEqual([]);
  });

  it('a complaint stops wave emails only; a delivery marks it delivered', async () => {
    const d = await delivery('email', { state: 'sending' });
    expect(
      await recordEmailEvent(database.db, tokens, {
        type: 'delivered',
        messageId: messageId(d.id),
        recipient: 'ds@example.org',
      }),
    ).toEqual({ deliveryId: d.id, delivery: 'delivered', suppressed: false });
    const row = await reload(d.id);
    expect(row).toMatchObject({ state: 'delivered', providerStatus: 'delivered' });
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(row.deliveredAt).toBeInstanceOf(Date);
    await recordEmailEvent(database.db, tokens, {
      type: 'complaint',
      messageId: messageId(d.id),
      recipient: 'ds@example.org',
    });
    expect(await database.db.select().from(suppressions)).toEqual([
      expect.objectContaining({
        address: 'ds@example.org',
        reason: 'complaint',
        scope: 'transition',
        deliveryId: d.id,
      }),
    ]);
    expect((await reload(d.id)).state).toBe('delivered');
  });

  it('a bounce quoting a Message-ID that is not ours still suppresses the address', async () => {
    const d = await delivery('email', { state: 'sent' });
    const forged = `<w.${tokens.issue('unsubscribe', d.id)}@harbor.example>`;
    for (const id of [forged, '<0f1e2d@harbor.example>', undefined]) {
      expect(
        await recordEmailEvent(database.db, tokens, {
          type: 'bounce',
          bounceType: 'hard',
          messageId: id,
          recipient: 'gone@example.org',
        }),
      ).toEqual({ deliveryId: null, delivery: 'none', suppressed: true });
    }
    expect((await reload(d.id)).state).toBe('sent');
    expect(await database.db.select({ address: suppressions.address }).from(suppressions)).toEqual([
      { address: 'gone@example.org' },
    ]);
  });
});
