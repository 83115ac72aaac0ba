// `causeway mail-in`: receives patients' email replies to support notices from the brand's MX and
// hands each one, parsed and with its quoted history removed, to the ticket service.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerEnvelope,
  type SMTPServerError,
  type SMTPServerSession,
} from 'smtp-server';
import type { Logger } from '../../infra/logger.ts';

export interface InboundEmail {
  /** The From header's address, lower-cased ('' when missing). */
  from: string;
  /** The SMTP envelope sender (MAIL FROM), lower-cased, or null for a null sender (<>). */
  envelopeFrom: string | null;
  /** The envelope recipients (RCPT TO), lower-cased, in order. */
  recipients: string[];
  /** Message-ID header with angle brackets removed, or null. */
  messageId: string | null;
  /** In-Reply-To, angle brackets removed, or null. */
  inReplyTo: string | null;
  /** References message ids, angle brackets removed, in order. */
  references: string[];
  subject: string;
  /**
   * The new text the person wrote: the text part (or the HTML converted to text when there is no
   * text part), with quoted history removed (see stripQuotedReply), trimmed, and capped at 20,000
   * characters.
   */
  text: string;
  /**
   * True for auto-replies and bulk mail (Auto-Submitted other than 'no', X-Autoreply, X-Autorespond,
   * Precedence bulk|junk|list|auto_reply, or a null envelope sender): the caller must not answer
   * those, to avoid mail loops.
   */
  automatic: boolean;
}

export type MailInVerdict = { accept: true } | { accept: false; reason: string };

export interface MailInOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** 0 = any free port. */
  port: number;
  /** Largest message accepted, bytes (default 1 MiB); bigger ones are refused with SMTP 552 during DATA. */
  maxBytes?: number;
  /** Only these recipient domains are accepted at RCPT TO (lower-case); others get 550 "no such recipient here". Empty/undefined = accept any. */
  recipientDomains?: readonly string[];
  /** Optional TLS for STARTTLS: PEM key and cert. Without them STARTTLS is not offered. */
  tls?: { key: string; cert: string } | undefined;
  /**
   * Resolves with the verdict; a refusal's reason goes back to the sending MTA (and so, in a bounce,
   * to the patient) as a 550. Throwing answers 451, so the sender's MTA retries later.
   */
  onMessage(email: InboundEmail): Promise<MailInVerdict>;
  logger: Logger;
}

export interface MailIn {
  port: number;
  close(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const MAX_TEXT_CHARS = 20_000;
// Long enough for a client to finish its QUIT, short enough that shutdown is not held up by an idle MTA.
const CLOSE_TIMEOUT_MS = 5_000;

export async function startMailIn(options: MailInOptions): Promise<MailIn> {
  const { logger } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const domains = new Set((options.recipientDomains ?? []).map((d) => d.trim().toLowerCase()));

  const server = new SMTPServer({
    // The brand's MTA relays to us unauthenticated; nothing here may be used to send mail onwards.
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    size: maxBytes,
    banner: 'Causeway mail-in',
    logger: false,
    // Behind our own MTA the peer is always the same host; a reverse DNS lookup per connection buys nothing.
    disableReverseLookup: true,
    closeTimeout: CLOSE_TIMEOUT_MS,

    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (domains.size === 0 || domains.has(domainOf(address.address))) return callback();
      callback(smtpError(550, 'no such recipient here'));
    },

    onData(stream, session, reply) {
      const chunks: Buffer[] = [];
      let kept = 0;
      // A stream error can be followed by 'end'; smtp-server must get exactly one answer.
      let answered = false;
      const callback = (error: SMTPServerError | null) => {
        if (answered) return;
        answered = true;
        reply(error);
      };
      stream.on('data', (chunk: Buffer) => {
        // An oversized message is refused anyway: drain the rest without holding it in memory.
        if (kept > maxBytes) return;
        chunks.push(chunk);
        kept += chunk.length;
      });
      stream.once('error', (err: Error) => {
        logger.error({ err }, 'mail-in: reading a message failed');
        callback(smtpError(451, 'could not read the message, please try again later'));
      });
      stream.once('end', () => {
        if (stream.sizeExceeded) {
          logger.info(
            { bytes: stream.byteLength, maxBytes },
            'mail-in: refused a message over the size limit',
          );
          return callback(smtpError(552, `message exceeds fixed maximum message size ${maxBytes}`));
        }
        receive(Buffer.concat(chunks), session).then(
          callback,
          // receive() answers every failure itself; reaching here is a bug, still not a lost message.
          (err: unknown) => {
            logger.error({ err }, 'mail-in: unexpected failure');
            callback(smtpError(451, 'temporary failure, please try again later'));
          },
        );
      });
    },
  });

  /** Resolves with the SMTP error to answer, or null when the message was taken. */
  async function receive(raw: Buffer, session: SMTPServerSession): Promise<SMTPServerError | null> {
    const facts = { bytes: raw.length, recipients: session.envelope.rcptTo.length };
    let email: InboundEmail;
    try {
      email = await parseInboundEmail(raw, session.envelope);
    } catch (err) {
      // mailparser gives up only on input it cannot decode at all; a retry costs little and loses nothing.
      logger.error({ err, ...facts }, 'mail-in: could not parse a message');
      return smtpError(451, 'could not parse the message, please try again later');
    }
    const described = { ...facts, hasMessageId: email.messageId !== null, textChars: email.text.length };

    let verdict: MailInVerdict;
    try {
      verdict = await options.onMessage(email);
    } catch (err) {
      logger.error({ err, ...described }, 'mail-in: handling a message failed, asked the sender to retry');
      return smtpError(451, 'temporary failure, please try again later');
    }
    if (!verdict.accept) {
      // The reason is the caller's and could name the patient; it goes to the sender only.
      logger.info({ ...described, automatic: email.automatic }, 'mail-in: refused a message');
      return smtpError(550, toReplyText(verdict.reason));
    }
    logger.info({ ...described, automatic: email.automatic }, 'mail-in: accepted a message');
    return null;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Without a listener a client's socket error would be thrown and take the whole process down.
  server.on('error', (err) => logger.warn({ err }, 'mail-in: connection error'));
  const { port } = server.server.address() as AddressInfo;
  logger.info({ port, maxBytes, starttls: options.tls !== undefined }, 'mail-in: listening');

  return {
    port,
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function parseInboundEmail(raw: Buffer, envelope: SMTPServerEnvelope): Promise<InboundEmail> {
  const parsed = await simpleParser(raw, PARSER_OPTIONS);
  const mailFrom = envelope.mailFrom ? envelope.mailFrom.address.toLowerCase() : '';
  const envelopeFrom = mailFrom === '' ? null : mailFrom;
  const body = parsed.text?.trim() ? parsed.text : parsed.html ? await htmlAsText(parsed.html) : '';
  return {
    from: parsed.from?.value[0]?.address?.toLowerCase() ?? '',
    envelopeFrom,
    recipients: envelope.rcptTo.map((r) => r.address.toLowerCase()),
    messageId: bareMessageId(parsed.messageId),
    inReplyTo: bareMessageId(parsed.inReplyTo),
    references: [parsed.references ?? []].flat().flatMap((id) => bareMessageId(id) ?? []),
    subject: parsed.subject ?? '',
    text: capText(stripQuotedReply(body), MAX_TEXT_CHARS),
    automatic: envelopeFrom === null || isAutomatic(parsed),
  };
}

// Images as data: URIs and text-as-HTML are work for a mail client, not for us.
const PARSER_OPTIONS = {
  keepCidLinks: true,
  skipImageLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
};

/**
 * mailparser converts HTML to text only when the HTML is the whole message, not an HTML part beside
 * attachments; parsing it again as a one-part message reuses that conversion (html-to-text, which
 * also turns <blockquote> into '>' lines) without depending on its internals.
 */
async function htmlAsText(html: string): Promise<string> {
  const message = Buffer.from(`Content-Type: text/html; charset=utf-8\r\n\r\n${html}`, 'utf8');
  const parsed = await simpleParser(message, PARSER_OPTIONS);
  return parsed.text ?? '';
}

function bareMessageId(id: string | undefined): string | null {
  const bare = (id ?? '').trim().replace(/^<|>$/g, '').trim();
  return bare === '' ? null : bare;
}

function isAutomatic(parsed: ParsedMail): boolean {
  // RFC 3834: "Auto-Submitted: no" is the only value a person's own mail carries.
  if (headerValues(parsed, 'auto-submitted').some((v) => (v.split(';')[0] ?? '').trim() !== 'no'))
    return true;
  // Vacation responders that predate RFC 3834 mark themselves only with these.
  if (headerValues(parsed, 'x-autoreply').length > 0 || headerValues(parsed, 'x-autorespond').length > 0)
    return true;
  return headerValues(parsed, 'precedence').some((v) => ['bulk', 'junk', 'list', 'auto_reply'].includes(v));
}

/** Unfolded, lower-cased values of every occurrence of a header. */
function headerValues(parsed: ParsedMail, key: string): string[] {
  return parsed.headerLines
    .filter((h) => h.key === key)
    .map((h) =>
      h.line
        .slice(h.line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
        .toLowerCase(),
    );
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

function smtpError(responseCode: number, message: string): SMTPServerError {
  const error: SMTPServerError = new Error(message);
  error.responseCode = responseCode;
  return error;
}

/** A caller's reason made safe for a one-line SMTP reply. */
function toReplyText(reason: string): string {
  // eslint-disable-next-line no-control-regex -- control characters would break or forge SMTP replies
  const line = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return (line || 'message refused').slice(0, 200);
}

function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not cut between the two halves of a surrogate pair (an emoji would end in a lone half).
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end).trimEnd();
}

// Attribution lines are short; anything longer is the patient's own prose.
const MAX_ATTRIBUTION_CHARS = 300;
// Gmail and html-to-text wrap a long attribution ("On …, Name <address> wrote:") over up to three lines.
const MAX_ATTRIBUTION_LINES = 3;
const ATTRIBUTION_STARTS = /^(On|El)\s/;
const ATTRIBUTION = /^(On\s.*\swrote|El\s.*\sescribi[óo]):$/;
const ORIGINAL_MESSAGE = /^-{2,}\s*(Original Message|Mensaje original)\s*-{2,}$/i;
const OUTLOOK_FROM = /^\*?(From|De):\*?\s/;
const OUTLOOK_SENT = /^\*?(Sent|Enviado):\*?\s/;
// Outlook's HTML turned into text can put the whole header block on one line.
const OUTLOOK_ONE_LINE = /^\*?(From|De):\*?\s.*\s\*?(Sent|Enviado):\*?\s/;
const SEPARATOR = /^(_{10,}|-{10,})$/;

/** Exposed for unit tests: removes quoted history from a reply's text. */
export function stripQuotedReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const cut = findQuotedHistory(lines);
  const kept: string[] = [];
  let droppedQuote = false;
  for (const line of lines.slice(0, cut)) {
    if (line.startsWith('>')) {
      droppedQuote = true;
      continue;
    }
    // Where quoted lines sat between paragraphs, keep one blank line rather than two.
    if (droppedQuote && line.trim() === '' && kept.at(-1)?.trim() === '') continue;
    droppedQuote = false;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

/** Index of the first line of quoted history (an attribution or Outlook header), or lines.length. */
function findQuotedHistory(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line.length > MAX_ATTRIBUTION_CHARS) continue;
    if (
      ORIGINAL_MESSAGE.test(line) ||
      OUTLOOK_ONE_LINE.test(line) ||
      isOutlookHeader(lines, i) ||
      isAttribution(lines, i)
    ) {
      return startOfSeparator(lines, i);
    }
  }
  return lines.length;
}

function isAttribution(lines: string[], start: number): boolean {
  if (!ATTRIBUTION_STARTS.test((lines[start] ?? '').trim())) return false;
  let joined = '';
  for (let i = start; i < Math.min(lines.length, start + MAX_ATTRIBUTION_LINES); i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') return false;
    joined = joined ? `${joined} ${line}` : line;
    if (joined.length > MAX_ATTRIBUTION_CHARS) return false;
    if (ATTRIBUTION.test(joined)) return true;
  }
  return false;
}

function isOutlookHeader(lines: string[], start: number): boolean {
  if (!OUTLOOK_FROM.test((lines[start] ?? '').trim())) return false;
  // Outlook writes From:, then Sent: within a line or two (Spanish: De:, Enviado:).
  return lines.slice(start + 1, start + 4).some((l) => OUTLOOK_SENT.test(l.trim()));
}

/** Moves the cut up over the rule Outlook draws above its header block, if there is one. */
function startOfSeparator(lines: string[], cut: number): number {
  let i = cut - 1;
  while (i >= 0 && (lines[i] ?? '').trim() === '') i--;
  return i >= 0 && SEPARATOR.test((lines[i] ?? '').trim()) ? i : cut;
}
