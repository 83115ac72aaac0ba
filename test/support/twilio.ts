// A loopback stand-in for Twilio's Messages API, at its wire shapes: the real `twilio` SDK is pointed
// at it (TWILIO_API_BASE_URL), so the code under test runs exactly as it would against Twilio.
// It can refuse the next call with a Twilio error (21610, 30007, a 429 …) or drop the connection, and
// send signed status callbacks as Twilio does. No vitest imports (benchmarks use it).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { smsSegments } from '../../emails/sms.ts';

export interface TwilioTestMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  status: string;
  statusCallback: string | null;
  /** Every form field the SDK sent, as received. */
  params: Record<string, string>;
  /** When the create-message request arrived (performance.now()), for pacing measurements. */
  receivedAt: number;
}

/** How the next create-message call fails: a Twilio error answer, or a dropped connection. */
export type TwilioFailure =
  | { status?: number; code: number; message?: string }
  | { status: number; code?: number; message?: string }
  | { network: true };

export interface TestTwilioServer {
  /** http://127.0.0.1:PORT — give it as TWILIO_API_BASE_URL. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Messages created (not the refused ones), in order. */
  messages: TwilioTestMessage[];
  /** Every create-message request, refused ones included. */
  requests: { path: string; params: Record<string, string>; authorized: boolean }[];
  /** The next create-message call (one, or `times`) fails this way. */
  failNext(failure: TwilioFailure, times?: number): void;
  waitForMessage(
    predicate?: (message: TwilioTestMessage) => boolean,
    timeoutMs?: number,
  ): Promise<TwilioTestMessage>;
  /** Posts a status callback for a message to its StatusCallback URL, signed as Twilio signs it. */
  sendStatus(sid: string, status: string, errorCode?: number): Promise<Response>;
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages(?:\/(SM[0-9a-f]{32}))?\.json$/;

const defaultMessages: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  21211: "Invalid 'To' Phone Number",
  21610: 'Attempt to send to unsubscribed recipient',
  21614: "'To' number is not a valid mobile number",
  30007: 'Message filtered',
};

export async function startTwilioServer(
  options: { accountSid?: string; authToken?: string } = {},
): Promise<TestTwilioServer> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const messages: TwilioTestMessage[] = [];
  const requests: TestTwilioServer['requests'] = [];
  const failures: TwilioFailure[] = [];
  const waiters = new Set<{
    predicate: (m: TwilioTestMessage) => boolean;
    resolve: (m: TwilioTestMessage) => void;
  }>();
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  function json(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  function twilioError(res: ServerResponse, status: number, code: number, message?: string) {
    json(res, status, {
      code,
      message: message ?? defaultMessages[code] ?? 'Error',
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });
  }

  function resource(m: TwilioTestMessage) {
    const date = new Date().toUTCString().replace('GMT', '+0000');
    const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
    return {
      account_sid: m.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      num_segments: String(smsSegments(m.body).segments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
      to: m.to,
      uri,
    };
  }

  async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = MESSAGES_PATH.exec(path);
    if (!match) return twilioError(res, 404, 20404);
    const authorized = req.headers.authorization === expectedAuth && match[1] === accountSid;

    if (req.method === 'GET' && match[2]) {
      if (!authorized) return twilioError(res, 401, 20003);
      const found = messages.find((m) => m.sid === match[2]);
      return found ? json(res, 200, resource(found)) : twilioError(res, 404, 20404);
    }
    if (req.method !== 'POST' || match[2]) return twilioError(res, 405, 20004, 'Method not allowed');

    const params = await readForm(req);
    requests.push({ path, params, authorized });
    if (!authorized) return twilioError(res, 401, 20003);

    const failure = failures.shift();
    if (failure) {
      if ('network' in failure) {
        req.socket.destroy();
        return;
      }
      const status = failure.status ?? 400;
      return twilioError(res, status, failure.code ?? (status === 429 ? 20429 : 20500), failure.message);
    }
    if (!params.To) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!params.From && !params.MessagingServiceSid)
      return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    if (!params.Body) return twilioError(res, 400, 21602, 'Message body is required.');

    const message: TwilioTestMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid,
      to: params.To,
      from: params.From ?? null,
      messagingServiceSid: params.MessagingServiceSid ?? null,
      body: params.Body,
      status: 'queued',
      statusCallback: params.StatusCallback ?? null,
      params,
      receivedAt: performance.now(),
    };
    messages.push(message);
    json(res, 201, resource(message));
    for (const waiter of waiters) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  // Idle kept-alive connections stay open a minute, as API front ends do; Node's default (5 s) races
  // the SDK's reuse of an idle connection under load and resets it.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    requests,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    waitForMessage(predicate = () => true, timeoutMs = 5_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (message: TwilioTestMessage) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching SMS arrived within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async sendStatus(sid, status, errorCode) {
      const message = messages.find((m) => m.sid === sid);
      if (!message?.statusCallback) throw new Error(`message ${sid} has no StatusCallback`);
      message.status = status;
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        MessageSid: sid,
        SmsSid: sid,
        MessageStatus: status,
        SmsStatus: status,
        To: message.to,
        ...(message.from ? { From: message.from } : {}),
        ...(message.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
        ...(errorCode ? { ErrorCode: String(errorCode) } : {}),
      };
      return fetch(message.statusCallback, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, message.statusCallback, params),
        },
        body: new URLSearchParams(params),
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** The fields Twilio posts to an inbound-text webhook, for a text from `from` to `to`. */
export function inboundTextFields(input: {
  accountSid: string;
  from: string;
  to: string;
  body: string;
  messageSid: string;
}): Record<string, string> {
  return {
    ToCountry: 'US',
    SmsMessageSid: input.messageSid,
    NumMedia: '0',
    SmsSid: input.messageSid,
    SmsStatus: 'received',
    Body: input.body,
    To: input.to,
    NumSegments: '1',
    MessageSid: input.messageSid,
    AccountSid: input.accountSid,
    From: input.from,
    ApiVersion: '2010-04-01',
  };
}
