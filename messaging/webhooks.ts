// What the providers and patients send back about messages: texts to the sender number (Twilio's
// inbound webhook), Twilio's status callbacks, the email provider's bounce/complaint webhook, and
// unsubscribe links. Routes hand over the URL, form fields, headers and raw body; nothing here sees a
// Request or a Response.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../db/audit.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { inboundMessages, patients, waveDeliveries } from '../db/schema/index.ts';
import type { FieldCipher } from '../identity/encryption.ts';
import { maskEmail } from '../identity/patient-timeline.ts';
import type { Config } from '../infra/env.ts';
import type { Logger } from '../infra/logger.ts';
import { applySmsKeyword, parseSmsKeyword, suppress, suppressedAddresses } from './consent.ts';
import { recordEmailEvent, recordSmsStatus } from './delivery-status.ts';
import type { DeliveryTokens } from './delivery-tokens.ts';

export type MessageLocale = 'en' | 'es';

/** A request from Twilio as the route received it: its URL (only path and query are used), form fields, signature. */
export interface TwilioWebhookRequest {
  url: string;
  params: Record<string, string>;
  /** The X-Twilio-Signature header. */
  signature: string | null;
}

export type TwilioInboundAnswer = { status: 403 | 400 } | { status: 200; twiml: string };

export type EmailEventsAnswer =
  | { status: 403 }
  | { status: 400; error: string }
  | { status: 200; result: { received: number; applied: number; ignored: number } };

export interface UnsubscribeView {
  /** The address as the page shows it (m••••@example.org). */
  maskedAddress: string;
  /** The patient's language, for the page. */
  locale: MessageLocale;
  /** Whether wave emails to the address are already stopped. */
  unsubscribed: boolean;
}

export type UnsubscribeVia = 'page' | 'one_click' | 'mail';

export interface MessageWebhooks {
  /**
   * A text to our sender number. 403 unless Twilio signed it, and always 403 when Twilio is not
   * configured: without the auth token nothing can be verified, and an unverified STOP or START
   * would let anyone change a patient's consent.
   */
  twilioInbound(request: TwilioWebhookRequest): Promise<TwilioInboundAnswer>;
  /** A status callback; the delivery id comes from the signed callback URL's `d` parameter. */
  twilioStatus(request: TwilioWebhookRequest): Promise<{ status: 204 | 400 | 403 }>;
  /** The email provider's events, signed `X-Causeway-Signature: sha256=<hex HMAC of the body>`. */
  emailEvents(request: {
    rawBody: string | Uint8Array;
    signatureHeader: string | null;
  }): Promise<EmailEventsAnswer>;
  /** What the unsubscribe page shows; null for a token that is not ours. Changes nothing. */
  unsubscribeInfo(token: string): Promise<UnsubscribeView | null>;
  /** Stops wave emails to the token's patient's address (idempotent); null for a token that is not ours. */
  unsubscribe(token: string, via?: UnsubscribeVia): Promise<(UnsubscribeView & { changed: boolean }) | null>;
}

export interface MessageWebhooksDeps {
  db: Db;
  cipher: FieldCipher;
  tokens: DeliveryTokens;
  config: Pick<Config, 'publicUrl' | 'brand' | 'messaging' | 'email'>;
  logger: Logger;
  now?: (() => Date) | undefined;
  /**
   * Takes a text that is not a keyword into the support desk; returns what to text back at once
   * (the safety guidance, the request's reference, or nothing when it joined an open request).
   */
  supportText?:
    | ((input: {
        inboundMessageId: string;
        from: string;
        body: string;
        patientId: string | null;
        locale: MessageLocale;
      }) => Promise<string>)
    | undefined;
}

// The Twilio SDK takes a third of a second to load: only the first webhook pays for it (a failed load
// is tried again by the next one).
const importTwilio = () => import('twilio');
let twilioSdk: ReturnType<typeof importTwilio> | undefined;
function loadTwilio() {
  if (!twilioSdk) {
    const loading = importTwilio();
    loading.catch(() => {
      if (twilioSdk === loading) twilioSdk = undefined;
    });
    twilioSdk = loading;
  }
  return twilioSdk;
}

const emailEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('bounce'),
    messageId: z.string().min(1).max(998).optional(),
    recipient: z.string().email(),
    bounceType: z.enum(['hard', 'soft']),
  }),
  z.object({
    type: z.literal('complaint'),
    messageId: z.string().min(1).max(998).optional(),
    recipient: z.string().email(),
  }),
  z.object({
    type: z.literal('delivered'),
    messageId: z.string().min(1).max(998).optional(),
    recipient: z.string().email(),
  }),
  // A reply to the mailto: half of List-Unsubscribe, forwarded with the token from its address.
  z.object({ type: z.literal('unsubscribe'), token: z.string().min(1).max(200) }),
]);
const emailBatchSchema = z.object({ events: z.array(emailEventSchema).min(1).max(1_000) });

export function createMessageWebhooks(deps: MessageWebhooksDeps): MessageWebhooks {
  const { db, cipher, tokens, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const log = logger.child({ area: 'message_webhooks' });

  /** The URL Twilio called (and signed): our public URL with the path and query we received. */
  function publicUrlOf(url: string): string {
    const received = new URL(url, config.publicUrl);
    return `${config.publicUrl}${received.pathname}${received.search}`;
  }

  async function verifyTwilio(request: TwilioWebhookRequest, kind: string): Promise<boolean> {
    const settings = config.messaging.twilio;
    if (!settings) {
      log.warn({ kind }, 'twilio webhook refused: TWILIO_* is not configured, so nothing can be verified');
      return false;
    }
    const { default: twilio } = await loadTwilio();
    const valid =
      Boolean(request.signature) &&
      twilio.validateRequest(
        settings.authToken,
        request.signature!,
        publicUrlOf(request.url),
        request.params,
      );
    if (!valid) log.warn({ kind }, 'twilio webhook refused: the signature does not match');
    return valid;
  }

  async function recipientOf(db: DbOrTx, token: string) {
    const deliveryId = tokens.verify('unsubscribe', token);
    if (deliveryId === null) return null;
    const [row] = await db
      .select({
        deliveryId: waveDeliveries.id,
        patientId: patients.id,
        email: patients.email,
        emailNormalized: patients.emailNormalized,
        locale: patients.locale,
      })
      .from(waveDeliveries)
      .innerJoin(patients, eq(patients.id, waveDeliveries.patientId))
      .where(eq(waveDeliveries.id, deliveryId));
    const address = row?.emailNormalized ?? row?.email?.trim().toLowerCase();
    if (!row || !address) return null;
    return { ...row, address, maskedAddress: maskEmail(row.email ?? address)! };
  }

  async function unsubscribeWith(db: DbOrTx, token: string, via: UnsubscribeVia) {
    const recipient = await recipientOf(db, token);
    if (!recipient) return null;
    const outcome = await db.transaction(async (tx) => {
      const changed = await suppress(tx, {
        channel: 'email',
        address: recipient.address,
        reason: 'unsubscribe',
        scope: 'transition',
        deliveryId: recipient.deliveryId,
      });
      if (changed !== 'unchanged') {
        await appendAudit(tx, {
          action: 'patient.email_unsubscribed',
          actorType: 'patient',
          actorId: recipient.patientId,
          subjectType: 'patient',
          subjectId: recipient.patientId,
          data: { via, scope: 'transition', deliveryId: recipient.deliveryId },
        });
      }
      return changed;
    });
    log.info(
      { deliveryId: recipient.deliveryId, via, changed: outcome !== 'unchanged' },
      'email unsubscribe',
    );
    return {
      maskedAddress: recipient.maskedAddress,
      locale: recipient.locale,
      unsubscribed: true,
      changed: outcome !== 'unchanged',
    };
  }

  const brand = config.brand.name;
  const helpUrl = `${config.publicUrl}/help`;
  // Short, brand first, and in GSM-7 characters (the Spanish avoids á, í, ó and ú, as emails/sms.ts does).
  const texts = {
    help: {
      en: `${brand}: texts about moving to your new patient portal. For help, call ${config.brand.supportPhone} or go to ${helpUrl}. Msg & data rates may apply. Reply STOP to opt out.`,
      es: `${brand}: textos sobre el cambio a su portal de pacientes nuevo. Para ayuda, llame al ${config.brand.supportPhone} o vaya a ${helpUrl}. Pueden aplicarse tarifas de mensajes y datos. Responda STOP para dejar de recibirlos.`,
    },
    support: {
      en: `${brand}: we got your message. A person will answer you in the portal: ${helpUrl}. If this is an emergency, call 911. For a mental-health crisis call or text 988.`,
      es: `${brand}: recibimos su mensaje. Una persona le va a contestar en el portal: ${helpUrl}. Si es una emergencia, llame al 911. En una crisis de salud mental, llame o mande un texto al 988.`,
    },
    // Only for the Spanish words: Twilio answers its own STOP and START words itself.
    stop: {
      en: `${brand}: you will not get more texts from us. Reply START to get them again.`,
      es: `${brand}: listo, ya no le enviaremos textos. Para recibirlos otra vez, responda COMENZAR.`,
    },
    start: {
      en: `${brand}: you will get our texts about your portal again. Reply STOP to opt out.`,
      es: `${brand}: listo, le enviaremos otra vez textos sobre su portal. Responda PARAR para dejar de recibirlos.`,
    },
  } as const;

  return {
    async twilioInbound(request) {
      if (!(await verifyTwilio(request, 'inbound'))) return { status: 403 };
      const { params } = request;
      const messageSid = params.MessageSid ?? params.SmsSid;
      const from = params.From?.trim();
      if (!messageSid || !from) return { status: 400 };
      const body = params.Body ?? '';
      const keyword = parseSmsKeyword(body);
      const handledAs = keyword?.keyword ?? 'support';
      const at = now();
      const { holders, fresh, inboundId } = await db.transaction(async (tx) => {
        const holders = await tx
          .select({ id: patients.id, locale: patients.locale, phoneVerified: patients.phoneVerified })
          .from(patients)
          .where(eq(patients.phone, from));
        // A retried webhook (same MessageSid) is kept once, and its keyword applied once.
        const inserted = await tx
          .insert(inboundMessages)
          .values({
            channel: 'sms',
            providerMessageId: messageSid,
            fromAddress: from,
            patientId: holders.length === 1 ? holders[0]!.id : null,
            handledAs,
            bodyEncrypted: cipher.encrypt(body),
            receivedAt: at,
          })
          .onConflictDoNothing()
          .returning({ id: inboundMessages.id });
        if (inserted.length > 0 && (handledAs === 'stop' || handledAs === 'start'))
          await applySmsKeyword(tx, { from, keyword: handledAs, now: at });
        return { holders, fresh: inserted.length > 0, inboundId: inserted[0]?.id ?? null };
      });
      log.info({ messageSid, handledAs, patients: holders.length, retried: !fresh }, 'inbound text');

      const locales = new Set(holders.map((h) => h.locale));
      const locale: MessageLocale = keyword?.language ?? (locales.size === 1 ? [...locales][0]! : 'en');
      if (handledAs === 'support' && deps.supportText) {
        // A retried webhook was already taken: Twilio already has our answer, send none twice.
        if (!fresh || !inboundId) return { status: 200, twiml: EMPTY_TWIML };
        // The number is the patient's only when it is verified on exactly one account.
        const verified = holders.length === 1 && holders[0]!.phoneVerified ? holders[0]!.id : null;
        const answer = await deps.supportText({
          inboundMessageId: inboundId,
          from,
          body,
          patientId: verified,
          locale,
        });
        await db.update(inboundMessages).set({ takenAt: now() }).where(eq(inboundMessages.id, inboundId));
        return { status: 200, twiml: answer ? twimlMessage(answer) : EMPTY_TWIML };
      }
      if (handledAs === 'support' || handledAs === 'help')
        return { status: 200, twiml: twimlMessage(texts[handledAs][locale]) };
      // Twilio blocks or unblocks the number and answers its own words; ours get our answer.
      if (keyword!.handledByTwilio) return { status: 200, twiml: EMPTY_TWIML };
      return { status: 200, twiml: twimlMessage(texts[handledAs][locale]) };
    },

    async twilioStatus(request) {
      if (!(await verifyTwilio(request, 'status'))) return { status: 403 };
      const { params } = request;
      const messageSid = params.MessageSid ?? params.SmsSid;
      const status = params.MessageStatus ?? params.SmsStatus;
      if (!messageSid || !status) return { status: 400 };
      // Set by the dispatcher in the callback URL; the signature covers the URL, so it is ours.
      const d = new URL(request.url, config.publicUrl).searchParams.get('d');
      const deliveryId = d && /^[1-9]\d{0,14}$/.test(d) ? Number(d) : undefined;
      const errorCode =
        params.ErrorCode && /^\d+$/.test(params.ErrorCode) ? Number(params.ErrorCode) : undefined;
      const outcome = await db.transaction((tx) =>
        recordSmsStatus(tx, { deliveryId, messageSid, status, errorCode, to: params.To, now: now() }),
      );
      log.info(
        {
          messageSid,
          deliveryId: outcome.ok ? outcome.deliveryId : deliveryId,
          status,
          errorCode,
          outcome: outcome.ok ? outcome.state : outcome.reason,
          suppressed: outcome.suppressed,
        },
        'sms status',
      );
      return { status: 204 };
    },

    async emailEvents({ rawBody, signatureHeader }) {
      const secret = config.email.webhookSecret;
      if (!secret) {
        log.warn('email webhook refused: EMAIL_WEBHOOK_SECRET is not configured');
        return { status: 403 };
      }
      const raw = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
      if (!validHmac(secret, raw, signatureHeader)) {
        log.warn('email webhook refused: the signature does not match');
        return { status: 403 };
      }
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        return { status: 400, error: 'The body is not JSON.' };
      }
      const parsed = emailBatchSchema.safeParse(json);
      if (!parsed.success) {
        const problems = parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; ');
        return {
          status: 400,
          error: `The body is not a valid event batch (nothing was applied): ${problems}`,
        };
      }
      const { events } = parsed.data;
      const at = now();
      // All or nothing: a failure part-way leaves nothing applied, and the provider's retry redoes it all.
      const applied = await db.transaction(async (tx) => {
        let count = 0;
        for (const event of events) {
          if (event.type === 'unsubscribe') {
            if (await unsubscribeWith(tx, event.token, 'mail')) count += 1;
            continue;
          }
          const outcome = await recordEmailEvent(tx, tokens, event, at);
          if (outcome.suppressed || (outcome.delivery !== 'none' && outcome.delivery !== 'unchanged'))
            count += 1;
        }
        return count;
      });
      log.info({ received: events.length, applied }, 'email events');
      return { status: 200, result: { received: events.length, applied, ignored: events.length - applied } };
    },

    async unsubscribeInfo(token) {
      const recipient = await recipientOf(db, token);
      if (!recipient) return null;
      const suppressed = await suppressedAddresses(db, 'email', [recipient.address]);
      return {
        maskedAddress: recipient.maskedAddress,
        locale: recipient.locale,
        unsubscribed: suppressed.size > 0,
      };
    },

    unsubscribe(token, via = 'page') {
      return unsubscribeWith(db, token, via);
    },
  };
}

/** `sha256=<hex>` of the HMAC-SHA256 of the raw body, compared in constant time. */
function validHmac(secret: string, body: Buffer, header: string | null): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex'));
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const EMPTY_TWIML = `${XML_DECLARATION}<Response/>`;

function twimlMessage(text: string): string {
  return `${XML_DECLARATION}<Response><Message>${escapeXml(text)}</Message></Response>`;
}

/** Text safe inside an XML element or attribute (characters XML 1.0 cannot carry are dropped). */
function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}
