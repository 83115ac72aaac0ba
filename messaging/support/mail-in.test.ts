import { Writable } from 'node:stream';
import nodemailer, { type NodemailerError, type SendMailOptions, type Transporter } from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../infra/logger.ts';
import {
  startMailIn,
  stripQuotedReply,
  type InboundEmail,
  type MailIn,
  type MailInOptions,
} from './mail-in.ts';

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

const servers: MailIn[] = [];
const transports: Transporter[] = [];

beforeEach(() => {
  logs = [];
});

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const PATIENT = '"Ana López" <Ana.Lopez@Example.org>';
const SUPPORT_ADDRESS = 'Support+T-1042@Reply.Causeway.example';
const PATIENT_WORDS = 'Yes, the new link worked. Thank you!';

/** Starts mail-in on a free port; onMessage records what arrived and accepts it unless told otherwise. */
async function startServer(overrides: Partial<MailInOptions> = {}) {
  const received: InboundEmail[] = [];
  const onMessage = vi.fn(async (email: InboundEmail) => {
    received.push(email);
    return { accept: true } as const;
  });
  const server = await startMailIn({ port: 0, logger, onMessage, ...overrides });
  servers.push(server);
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.port,
    secure: false,
    ignoreTLS: true,
  });
  transports.push(transport);
  const send = (mail: SendMailOptions) => transport.sendMail({ from: PATIENT, to: SUPPORT_ADDRESS, ...mail });
  return { server, received, onMessage, send };
}

async function sendFailure(sending: Promise<unknown>): Promise<NodemailerError> {
  const error = await sending.then(
    () => null,
    (err: NodemailerError) => err,
  );
  if (!error) throw new Error('the message was accepted');
  return error;
}

/** Nothing that identifies the patient or carries the message reaches the log. */
function expectCleanLogs() {
  const all = logs.join('').toLowerCase();
  expect(all).not.toContain('ana.lopez');
  expect(all).not.toContain('support+t-1042');
  expect(all).not.toContain('support request');
  expect(all).not.toContain('new link worked');
}

describe('mail-in', () => {
  it('hands a patient reply over parsed, threaded, and without the quoted notice', async () => {
    const { received, send } = await startServer({ recipientDomains: ['reply.causeway.example'] });

    const info = await send({
      subject: 'Re: Your support request',
      messageId: '<reply-77@mail.example.org>',
      inReplyTo: '<notice-1042@causeway.example>',
      references: ['<ticket-1042@causeway.example>', '<notice-1042@causeway.example>'],
      text: [
        PATIENT_WORDS,
        '',
        'On Tue, 3 Nov 2026 at 10:00, Causeway Support <support@causeway.example> wrote:',
        '> Hi Ana, please try the new sign-in link.',
        '>',
        '> Causeway Support',
        '',
      ].join('\n'),
    });

    expect(info.response).toMatch(/^250 /);
    expect(received).toEqual([
      {
        from: 'ana.lopez@example.org',
        envelopeFrom: 'ana.lopez@example.org',
        recipients: ['support+t-1042@reply.causeway.example'],
        messageId: 'reply-77@mail.example.org',
        inReplyTo: 'notice-1042@causeway.example',
        references: ['ticket-1042@causeway.example', 'notice-1042@causeway.example'],
        subject: 'Re: Your support request',
        text: PATIENT_WORDS,
        automatic: false,
      },
    ]);
    expect(logs.join('')).toContain('mail-in: accepted a message');
    expectCleanLogs();
  });

  it('reads an HTML-only reply as text, dropping the quoted blockquote', async () => {
    const { received, send } = await startServer();

    await send({
      subject: 'Re: Your support request',
      html:
        '<div dir="ltr">I can&#39;t find my <b>sign-in</b> code.</div><br>' +
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, 3 Nov 2026 at 10:00, ' +
        'Causeway Support &lt;support@causeway.example&gt; wrote:<br></div>' +
        '<blockquote class="gmail_quote"><div>Hi Ana, please try the new sign-in link.</div></blockquote></div>',
    });

    expect(received).toHaveLength(1);
    expect(received[0]?.text).toBe("I can't find my sign-in code.");
  });

  it('reads the HTML part as text when it sits beside an attachment with no text part', async () => {
    const { received, send } = await startServer();

    await send({
      subject: 'Re: Your support request',
      html: '<p>Here is a photo of the <b>error</b>.</p>',
      attachments: [{ filename: 'screen.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }],
    });

    expect(received).toHaveLength(1);
    expect(received[0]?.text).toBe('Here is a photo of the error.');
  });

  it.each([
    ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }],
    [
      'Auto-Submitted: auto-generated with a parameter',
      { 'Auto-Submitted': 'auto-generated; owner-email="x@y"' },
    ],
    ['X-Autoreply', { 'X-Autoreply': 'yes' }],
    ['X-Autorespond', { 'X-Autorespond': 'Out of office' }],
    ['Precedence: bulk', { Precedence: 'bulk' }],
    ['Precedence: auto_reply', { Precedence: 'Auto_Reply' }],
  ])('marks a message with %s as automatic', async (_name, headers) => {
    const { received, send } = await startServer();

    await send({ subject: 'Out of office', text: 'I am away until Monday.', headers });

    expect(received.map((email) => email.automatic)).toEqual([true]);
  });

  it('marks a message from the null sender (a bounce) as automatic', async () => {
    const { received, send } = await startServer();

    await send({
      subject: 'Undeliverable',
      text: 'Delivery failed.',
      envelope: { from: '', to: SUPPORT_ADDRESS },
    });

    expect(received.map((email) => [email.envelopeFrom, email.automatic])).toEqual([[null, true]]);
  });

  it('does not mark a person’s mail as automatic for Auto-Submitted: no or Precedence: first-class', async () => {
    const { received, send } = await startServer();

    await send({
      subject: 'Re: hi',
      text: 'Thanks',
      headers: { 'Auto-Submitted': 'no', Precedence: 'first-class' },
    });

    expect(received.map((email) => email.automatic)).toEqual([false]);
  });

  it('refuses a recipient outside its domains at RCPT TO with 550, before any message is read', async () => {
    const { onMessage, send } = await startServer({ recipientDomains: ['reply.causeway.example'] });

    const error = await sendFailure(
      send({ to: 'someone@elsewhere.example', subject: 'Hello', text: 'Hello' }),
    );

    expect(error.code).toBe('EENVELOPE');
    expect(error.command).toBe('RCPT TO');
    expect(error.responseCode).toBe(550);
    expect(error.response).toBe('550 no such recipient here');
    expect(onMessage).not.toHaveBeenCalled();
  });

  it('refuses a message over maxBytes with 552 during DATA, and still takes the next one', async () => {
    const { onMessage, received, send } = await startServer({ maxBytes: 4096 });

    const error = await sendFailure(send({ subject: 'Long', text: 'x'.repeat(10_000) }));

    expect(error.command).toBe('DATA');
    expect(error.responseCode).toBe(552);
    expect(onMessage).not.toHaveBeenCalled();
    expect(logs.join('')).toContain('mail-in: refused a message over the size limit');

    await send({ subject: 'Short', text: 'Shorter this time.' });
    expect(received.map((email) => email.text)).toEqual(['Shorter this time.']);
  });

  it('answers 451 when handing the message over fails, so the sender retries, and logs no PHI', async () => {
    const { send } = await startServer({
      onMessage: () => Promise.reject(new Error('database unavailable')),
    });

    const error = await sendFailure(send({ subject: 'Re: Your support request', text: PATIENT_WORDS }));

    expect(error.command).toBe('DATA');
    expect(error.responseCode).toBe(451);
    expect(error.permanent).toBe(false);
    const failure = logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l.level === 50);
    expect(failure).toMatchObject({
      msg: 'mail-in: handling a message failed, asked the sender to retry',
      err: { message: 'database unavailable' },
      hasMessageId: true,
      recipients: 1,
    });
    expectCleanLogs();
  });

  it('answers 550 with the reason when the message is refused', async () => {
    const { send } = await startServer({
      onMessage: () =>
        Promise.resolve({ accept: false, reason: 'This ticket is closed.\r\nPlease write again.' }),
    });

    const error = await sendFailure(send({ subject: 'Re: Your support request', text: PATIENT_WORDS }));

    expect(error.command).toBe('DATA');
    expect(error.responseCode).toBe(550);
    expect(error.response).toBe('550 This ticket is closed. Please write again.');
    expectCleanLogs();
  });
});

describe('stripQuotedReply', () => {
  it('removes an English Gmail-style attribution and everything after it', () => {
    const text = [
      'Yes, it worked.',
      '',
      'Ana',
      '',
      'On Tue, 3 Nov 2026 at 10:00, Causeway Support <support@causeway.example> wrote:',
      '',
      '> Hi Ana,',
      '> please try the new link.',
    ].join('\n');

    expect(stripQuotedReply(text)).toBe('Yes, it worked.\n\nAna');
  });

  it('recognises an attribution wrapped over two lines', () => {
    const text = [
      'Thanks!',
      '',
      'On Tue, 3 Nov 2026 at 10:00, Causeway Support <',
      'support@causeway.example> wrote:',
      '> Hi',
    ].join('\n');

    expect(stripQuotedReply(text)).toBe('Thanks!');
  });

  it('removes a Spanish attribution and everything after it', () => {
    const text = [
      'Sí, ya pude entrar. ¡Gracias!',
      '',
      'El mar, 3 nov 2026 a las 10:00, Causeway Soporte (<soporte@causeway.example>) escribió:',
      '> Hola Ana, intente con el nuevo enlace.',
    ].join('\n');

    expect(stripQuotedReply(text)).toBe('Sí, ya pude entrar. ¡Gracias!');
  });

  it('removes an Outlook From:/Sent: block and the rule above it', () => {
    const text = [
      'I still get an error.',
      '',
      '________________________________',
      'From: Causeway Support <support@causeway.example>',
      'Sent: Tuesday, November 3, 2026 10:00 AM',
      'To: Ana Lopez <ana.lopez@example.org>',
      'Subject: Your support request',
      '',
      'Hi Ana, please try the new sign-in link.',
    ].join('\r\n');

    expect(stripQuotedReply(text)).toBe('I still get an error.');
  });

  it('removes an Outlook "-----Original Message-----" block', () => {
    const text = [
      'Done, thanks.',
      '',
      '-----Original Message-----',
      'From: Causeway Support <support@causeway.example>',
      'Sent: Tuesday, November 3, 2026 10:00 AM',
      'Hi Ana',
    ].join('\n');

    expect(stripQuotedReply(text)).toBe('Done, thanks.');
  });

  it('removes quoted lines answered in between, keeping the answers', () => {
    const text = ['> Which device do you use?', 'My phone.', '', '> Which browser?', '', 'Chrome.'].join(
      '\n',
    );

    expect(stripQuotedReply(text)).toBe('My phone.\n\nChrome.');
  });

  it('leaves a message without quoted history unchanged', () => {
    const text =
      'Hello,\n\nOn Monday I tried to sign in and it said my code was wrong.\nFrom: my phone\n\nThanks, Ana';

    expect(stripQuotedReply(text)).toBe(text);
  });
});
