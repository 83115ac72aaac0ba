// SMS out: through the real Twilio SDK when TWILIO_* is set, otherwise into the outbox table.
//
// TWILIO_API_BASE_URL points the SDK somewhere other than https://api.twilio.com (a proxy, or the
// loopback stand-in the tests run). The SDK has no base-URL option, but it accepts an `httpClient`:
// ours is its own RequestClient with `request` rewriting each absolute URI onto the base, after the
// SDK has built it (region and edge included), so every call the SDK makes goes there.
import http from 'node:http';
import type https from 'node:https';
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient';
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
  /** Where Twilio reports delivery (sent, delivered, failed) for this message. */
  statusCallback?: string | undefined;
}

export interface SmsChannel {
  /** Where messages go: Twilio, or the outbox table. */
  readonly mode: 'twilio' | 'outbox';
  send(message: SmsMessage): Promise<ChannelSendResult>;
  close(): Promise<void>;
}

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
            patientId: message.patientId ?? null,
          })
          .returning({ id: outbox.id });
        log.info({ kind: message.kind, outboxId: row!.id }, 'sms kept in the outbox');
        return { ok: true, messageId: row!.id };
      },
      async close() {},
    };
  }

  const httpClient = new BaseUrlRequestClient(settings.apiBaseUrl, { timeout: 10_000 });
  const client = twilio(settings.accountSid, settings.authToken, { httpClient });
  const sender = settings.messagingServiceSid
    ? { messagingServiceSid: settings.messagingServiceSid }
    : { from: settings.fromNumber };

  return {
    mode: 'twilio',
    async send(message) {
      try {
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
      httpClient.destroy();
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

/** The SDK's own HTTP client, sending to `baseUrl` instead of Twilio's hosts when one is given. */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL | null;
  private readonly httpAgent = new http.Agent({ keepAlive: true });

  constructor(baseUrl: string | undefined, options: TwilioRequestClient.RequestClientOptions = {}) {
    super(options);
    this.base = baseUrl ? new URL(baseUrl) : null;
    // The SDK only configures an https agent; a plain-http base (loopback) gets one we can close.
    this.axios.defaults.httpAgent = this.httpAgent;
  }

  override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: this.rewrite(opts.uri) });
  }

  /** https://api.twilio.com/2010-04-01/… → {base}/2010-04-01/… (keeping a path prefix of the base). */
  rewrite(uri: string): string {
    if (!this.base) return uri;
    const original = new URL(uri);
    const target = new URL(this.base);
    target.pathname = `${this.base.pathname.replace(/\/+$/, '')}${original.pathname}`;
    target.search = original.search;
    return target.toString();
  }

  /** Closes kept-alive connections, so a stopping process does not wait on them. */
  destroy() {
    this.httpAgent.destroy();
    // An https.Agent, or a proxy agent when HTTP_PROXY is set (which may have no destroy).
    (this.axios.defaults.httpsAgent as Partial<Pick<https.Agent, 'destroy'>> | undefined)?.destroy?.();
  }
}
