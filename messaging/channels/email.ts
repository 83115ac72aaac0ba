// Email out: through a pooled SMTP connection when SMTP_URL is set, otherwise into the outbox table
// exactly as it would have been sent (DESIGN §3), so the demo and the staff console can show it.
import { randomUUID } from 'node:crypto';
import type { NodemailerError } from 'nodemailer';
import type { Db } from '../../db/client.ts';
import { outbox } from '../../db/schema/index.ts';
import type { Logger } from '../../infra/logger.ts';
import type { ChannelSendResult } from './send-result.ts';

export interface EmailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /**
   * Extra headers (List-Unsubscribe, List-Unsubscribe-Post, …). A `Message-ID` given here is used as
   * the message's id (a support reply threads by it); otherwise one is made on the sender's domain.
   */
  headers?: Record<string, string>;
  /** What kind of message this is (sign_in_link, wave, …): logged and kept in the outbox. */
  kind: string;
  patientId?: string | null;
}

export interface EmailChannel {
  /** Where messages go: a real SMTP server, or the outbox table. */
  readonly mode: 'smtp' | 'outbox';
  send(message: EmailMessage): Promise<ChannelSendResult>;
  close(): Promise<void>;
}

export interface EmailChannelOptions {
  /** smtp:// or smtps:// URL; without it, messages go to the outbox. */
  smtpUrl?: string | undefined;
  /** The From header, e.g. `"Harbor Health" <no-reply@harbor.example>`. */
  from: string;
  /** DKIM signing; the signature covers the unsubscribe headers (see DKIM_HEADER_FIELDS). */
  dkim?: { domainName: string; keySelector: string; privateKey: string } | null | undefined;
  db: Db;
  logger: Logger;
}

/**
 * The headers DKIM signs: nodemailer's own list, plus List-Unsubscribe-Post, which it leaves out (a
 * receiver honours one-click unsubscribe only when the signature covers both unsubscribe headers).
 */
export const DKIM_HEADER_FIELDS = [
  'From',
  'Sender',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'Content-ID',
  'Content-Description',
  'Resent-Date',
  'Resent-From',
  'Resent-Sender',
  'Resent-To',
  'Resent-Cc',
  'Resent-Message-ID',
  'In-Reply-To',
  'References',
  'List-Id',
  'List-Help',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'List-Subscribe',
  'List-Post',
  'List-Owner',
  'List-Archive',
].join(':');

export function createEmailChannel(options: EmailChannelOptions): EmailChannel {
  const { from, db, logger } = options;
  const domain = senderDomain(from);
  const log = logger.child({ channel: 'email' });

  function prepare(message: EmailMessage) {
    const headers: Record<string, string> = {};
    let messageId: string | undefined;
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (name.toLowerCase() === 'message-id') messageId = value;
      else headers[name] = value;
    }
    return { headers, messageId: messageId ?? `<${randomUUID()}@${domain}>` };
  }

  if (!options.smtpUrl) {
    return {
      mode: 'outbox',
      async send(message) {
        const { headers, messageId } = prepare(message);
        const [row] = await db
          .insert(outbox)
          .values({
            channel: 'email',
            recipient: message.to,
            kind: message.kind,
            subject: message.subject,
            bodyText: message.text,
            bodyHtml: message.html,
            headers: { From: from, 'Message-ID': messageId, ...headers },
            patientId: message.patientId ?? null,
          })
          .returning({ id: outbox.id });
        log.info({ kind: message.kind, outboxId: row!.id }, 'email kept in the outbox');
        return { ok: true, messageId: row!.id };
      },
      async close() {},
    };
  }

  // Loaded on first use: a command that sends no email does not pay for the library.
  const smtpUrl = options.smtpUrl;
  const pooled = import('nodemailer').then(({ default: nodemailer }) =>
    nodemailer.createTransport({
      url: smtpUrl,
      pool: true,
      // Bounded waits: a stalled server must not hold a sign-in request (or a wave worker) for minutes.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      ...(options.dkim ? { dkim: { ...options.dkim, headerFieldNames: DKIM_HEADER_FIELDS } } : {}),
    }),
  );
  pooled.catch(() => {}); // reported by the first send
  return {
    mode: 'smtp',
    async send(message) {
      const { headers, messageId } = prepare(message);
      try {
        const transport = await pooled;
        const info = await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers,
          messageId,
        });
        log.info({ kind: message.kind, messageId: info.messageId }, 'email sent');
        return { ok: true, messageId: info.messageId };
      } catch (error) {
        const failure = classifySmtpError(error as NodemailerError);
        // The error's own message can quote the recipient ("550 <a@b> unknown"): log codes only.
        log.warn({ kind: message.kind, reason: failure.reason, detail: failure.detail }, 'email not sent');
        return failure;
      }
    },
    async close() {
      (await pooled.catch(() => null))?.close();
    },
  };
}

/**
 * A permanent refusal of the recipient or the message is `rejected`; anything else (no connection,
 * a timeout, a 4xx "try later", our own credentials refused) is `unavailable`: the address may be fine.
 */
export function classifySmtpError(error: NodemailerError): Extract<ChannelSendResult, { ok: false }> {
  const detail = [error.code, error.responseCode].filter((v) => v !== undefined).join(' ') || 'error';
  const refusedMessage = error.code === 'EENVELOPE' || error.code === 'EMESSAGE';
  return error.permanent === true && refusedMessage
    ? { ok: false, reason: 'rejected', detail }
    : { ok: false, reason: 'unavailable', detail };
}

/** The domain of the From address, for Message-IDs (`"Name" <a@b.example>` or `a@b.example`). */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return address.includes('@') && domain ? domain.toLowerCase() : 'localhost';
}
