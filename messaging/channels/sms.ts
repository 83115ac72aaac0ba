// SMS out: through the real Twilio SDK when TWILIO_* is set (twilio-client.ts), otherwise into the
// outbox table.
import type { Db } from '../../db/client.ts';
import { outbox } from '../../db/schema/index.ts';
import type { Config } from '../../infra/env.ts';
import type { Logger } from '../../infra/logger.ts';
import type { ChannelSendResult } from './send-result.ts';

export interface SmsMessage {
  /** E.164 number. */
  to: string;
  body: string;
  /** What kind of message this is (sign_in_code, wave, …): logged and kept in the outbox. */
  kind: string;
  patientId?: string | null;
  /** Our own reference for the message (a wave delivery's id), kept with it in the outbox. */
  reference?: string | undefined;
  /** Where Twilio reports delivery (sent, delivered, failed) for this message. */
  statusCallback?: string | undefined;
}

export interface SmsChannel {
  /** Where messages go: Twilio, or the outbox table. */
  readonly mode: 'twilio' | 'outbox';
  send(message: SmsMessage): Promise<ChannelSendResult>;
  close(): Promise<void>;
}

/** Where an outbox SMS keeps its reference (the outbox has headers for email; SMS borrows them). */
export const SMS_REFERENCE_HEADER = 'X-Causeway-Reference';

export type TwilioSettings = NonNullable<Config['messaging']['twilio']>;

export interface SmsChannelOptions {
  /** Without them, messages go to the outbox. */
  twilio: TwilioSettings | null;
  db: Db;
  logger: Logger;
}

/**
 * Twilio error codes that mean this message will never reach this number as it stands: the recipient
 * texted STOP (21610), the number is not a valid or not a mobile number (21211, 21614), or it cannot
 * receive SMS at all (21612).
 */
const RECIPIENT_REFUSED = new Set([21211, 21610, 21612, 21614]);

export function createSmsChannel(options: SmsChannelOptions): SmsChannel {
  const { db, logger } = options;
  const log = logger.child({ channel: 'sms' });
  const settings = options.twilio;

  if (!settings) {
    return {
      mode: 'outbox',
      async send(message) {
        const [row] = await db
          .insert(outbox)
          .values({
            channel: 'sms',
            recipient: message.to,
            kind: message.kind,
            subject: null,
            bodyText: message.body,
            bodyHtml: null,
            headers: message.reference ? { [SMS_REFERENCE_HEADER]: message.reference } : {},
            patientId: message.patientId ?? null,
          })
          .returning({ id: outbox.id });
        log.info({ kind: message.kind, outboxId: row!.id }, 'sms kept in the outbox');
        return { ok: true, messageId: row!.id };
      },
      async close() {},
    };
  }

  // The SDK takes a third of a second to load: only a process that sends SMS pays for it.
  const connection = import('./twilio-client.ts').then(({ twilioClient }) => twilioClient(settings));
  connection.catch(() => {}); // reported by the first send
  const sender = settings.messagingServiceSid
    ? { messagingServiceSid: settings.messagingServiceSid }
    : { from: settings.fromNumber };

  return {
    mode: 'twilio',
    async send(message) {
      try {
        const { client } = await connection;
        const created = await client.messages.create({
          ...sender,
          to: message.to,
          body: message.body,
          ...(message.statusCallback ? { statusCallback: message.statusCallback } : {}),
        });
        log.info({ kind: message.kind, messageId: created.sid, status: created.status }, 'sms sent');
        return { ok: true, messageId: created.sid };
      } catch (error) {
        const failure = classifyTwilioError(error);
        log.warn({ kind: message.kind, reason: failure.reason, detail: failure.detail }, 'sms not sent');
        return failure;
      }
    },
    async close() {
      (await connection.catch(() => null))?.httpClient.destroy();
    },
  };
}

/**
 * `rejected` when Twilio refused this message for this recipient (the codes above, or any other 400:
 * Twilio answers 400 for a message it will not accept as written); `unavailable` for everything that
 * may pass later: 429, 5xx, our credentials or account (401, 403, 404), no answer at all.
 */
export function classifyTwilioError(error: unknown): Extract<ChannelSendResult, { ok: false }> {
  const { status, code } = (error ?? {}) as { status?: unknown; code?: unknown };
  if (typeof status === 'number') {
    const twilioCode = typeof code === 'number' ? code : undefined;
    const detail = twilioCode ? `HTTP ${status} code ${twilioCode}` : `HTTP ${status}`;
    if ((twilioCode && RECIPIENT_REFUSED.has(twilioCode)) || status === 400)
      return { ok: false, reason: 'rejected', detail };
    return { ok: false, reason: 'unavailable', detail };
  }
  // No HTTP answer: a refused connection, a reset, a timeout (axios puts the cause in `code`).
  return { ok: false, reason: 'unavailable', detail: typeof code === 'string' ? code : 'network error' };
}
