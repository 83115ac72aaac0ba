// A counting SMTP sink in its own process (so receiving does not share the sender's thread): accepts
// everything, reads each message to its end, and counts messages per recipient. Answers over IPC:
// `{ type: 'report' }` → `{ messages, recipients, duplicates }`, `{ type: 'reset' }`.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let messages = 0;
let perRecipient = new Map<string, number>();

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  closeTimeout: 50,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      messages++;
      for (const rcpt of session.envelope.rcptTo) {
        const address = rcpt.address.toLowerCase();
        perRecipient.set(address, (perRecipient.get(address) ?? 0) + 1);
      }
      callback();
    });
  },
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'ready', port: (server.server.address() as AddressInfo).port });
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'report') {
    let duplicates = 0;
    for (const count of perRecipient.values()) duplicates += count - 1;
    process.send!({ type: 'report', messages, recipients: perRecipient.size, duplicates });
  } else if (message.type === 'reset') {
    messages = 0;
    perRecipient = new Map();
    process.send!({ type: 'reset' });
  } else if (message.type === 'stop') {
    server.close(() => process.exit(0));
  }
});
