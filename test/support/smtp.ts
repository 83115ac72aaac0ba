// A real SMTP peer for tests and benchmarks: smtp-server on a loopback port (no TLS, no auth needed),
// each message parsed with mailparser as a mail client would. No vitest imports (benchmarks use it).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface ReceivedEmail {
  /** The SMTP envelope: what the client said in MAIL FROM and RCPT TO. */
  envelope: { from: string | null; to: string[] };
  /** The message as mailparser reads it (subject, text, html, headers, …). */
  parsed: ParsedMail;
  /** The raw message, as received. */
  raw: string;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Every message received so far, in order. */
  messages: ReceivedEmail[];
  /** Resolves with the first message (received or still to come) matching the predicate. */
  waitForMessage(predicate?: (message: ReceivedEmail) => boolean, timeoutMs?: number): Promise<ReceivedEmail>;
  /** Answers RCPT TO for this address with a permanent refusal (550 by default). */
  rejectRecipient(address: string, responseCode?: number): void;
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedEmail[] = [];
  const waiters = new Set<{
    predicate: (m: ReceivedEmail) => boolean;
    resolve: (m: ReceivedEmail) => void;
  }>();
  const refused = new Map<string, number>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Pooled clients keep connections open; closing should not wait 30 s for them.
    closeTimeout: 50,
    onRcptTo(address, _session, callback) {
      const code = refused.get(address.address.toLowerCase());
      if (code === undefined) return callback();
      const error: SMTPServerError = new Error(`5.1.1 <${address.address}>: Recipient address rejected`);
      error.responseCode = code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            const message: ReceivedEmail = {
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              parsed,
              raw,
            };
            messages.push(message);
            for (const waiter of waiters) {
              if (waiter.predicate(message)) {
                waiters.delete(waiter);
                waiter.resolve(message);
              }
            }
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitForMessage(predicate = () => true, timeoutMs = 5_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (message: ReceivedEmail) => {
            clearTimeout(timer);
            resolve(message);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching email arrived within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    rejectRecipient(address, responseCode = 550) {
      refused.set(address.toLowerCase(), responseCode);
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
