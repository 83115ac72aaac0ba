// The loopback Twilio (test/support/twilio.ts) in its own process, so answering does not share the
// sender's thread. Answers over IPC: `{ type: 'report' }` → when each text arrived, to whom, and its
// body's segments.
import { smsSegments } from '../../emails/sms.ts';
import { startTwilioServer } from '../support/twilio.ts';

const twilio = await startTwilioServer();
process.send!({
  type: 'ready',
  baseUrl: twilio.baseUrl,
  accountSid: twilio.accountSid,
  authToken: twilio.authToken,
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') {
    const segments = new Map<string, number>();
    process.send!({
      type: 'report',
      texts: twilio.messages.map((m) => {
        let n = segments.get(m.body);
        if (n === undefined) segments.set(m.body, (n = smsSegments(m.body).segments));
        return [m.receivedAt, m.to, n] as const;
      }),
    });
  } else if (message.type === 'stop') {
    void twilio.close().then(() => process.exit(0));
  }
});
