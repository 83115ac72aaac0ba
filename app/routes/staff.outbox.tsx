// Messages kept in the outbox instead of being sent (no SMTP_URL / TWILIO_* set): newest first.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { readOutbox } from '../../messaging/outbox-view.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, ['admin']);
  const { database, messaging } = args.context.services;
  const rows = await readOutbox(database.db, { staffId: active.staff.id, role: active.staff.role });
  return {
    modes: { email: messaging.email.mode, sms: messaging.sms.mode },
    messages: rows.map((m) => ({
      id: m.id,
      at: m.createdAt.toISOString(),
      channel: m.channel,
      kind: m.kind,
      recipient: m.recipient,
      subject: m.subject,
      body: m.bodyText,
    })),
  };
}

export default function Outbox() {
  const { modes, messages } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Outbox</h1>
      <p>
        {`Email: ${modes.email === 'outbox' ? 'kept here (SMTP_URL is not set)' : 'sent by SMTP'}. Text messages: ${modes.sms === 'outbox' ? 'kept here (TWILIO_* is not set)' : 'sent by Twilio'}.`}
      </p>
      <p className="notice">
        Sign-in links and codes below work for the patient they name until they expire or are used. Do not
        forward them. This page view is recorded in the audit log.
      </p>
      {messages.length === 0 ? <p>Nothing in the outbox yet.</p> : null}
      {messages.map((m) => (
        <article key={m.id} className="outbox-message" aria-labelledby={`m-${m.id}`}>
          <h2 id={`m-${m.id}`}>
            {`${m.channel === 'email' ? 'Email' : 'Text'} to ${m.recipient}: ${m.subject ?? m.kind.replace(/_/g, ' ')}`}
          </h2>
          <p className="hint">
            {m.at.slice(0, 19).replace('T', ' ')} UTC · {m.kind}
          </p>
          <pre>{m.body}</pre>
        </article>
      ))}
    </>
  );
}
