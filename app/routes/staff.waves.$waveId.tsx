// One wave: what it says (every language, before and after cutover, per channel), who gets it and who is
// left out, when it will be done; approval by a second person; then its progress, pause, resume and
// cancel, the deliveries nobody knows the fate of, and the report.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { WaveForm, type WaveFormValues } from '../components/wave-form.tsx';
import { WaveFunnelChart } from '../components/wave-funnel-chart.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import {
  describeRefusal,
  formChoices,
  stamp,
  waveFormInput,
  wavePage,
  waveRoles,
} from '../utils/waves-view.server.ts';

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: page ? `Wave: ${page.wave.name}` : 'Wave' },
];

const waveActionForm = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('update') }).passthrough(),
  z.object({ intent: z.literal('approve') }),
  z.object({ intent: z.literal('pause') }),
  z.object({ intent: z.literal('resume') }),
  z.object({ intent: z.literal('cancel'), confirm: z.literal('yes').optional() }),
  z.object({
    intent: z.literal('settle'),
    decision: z.enum(['sent', 'resend']),
    confirm: z.literal('yes').optional(),
  }),
]);

async function findWave(args: LoaderFunctionArgs) {
  const wave = await args.context.services.waves.find(args.params.waveId ?? '');
  if (!wave) throw new Response('There is no such wave.', { status: 404 });
  return wave;
}

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, waveRoles);
  const wave = await findWave(args);
  const [page, choices] = await Promise.all([
    wavePage(args.context.services, wave, active.staff.id),
    wave.state === 'draft' ? formChoices(args.context.services) : null,
  ]);
  return { ...page, choices };
}

type Answer =
  | { kind: 'result'; ok: boolean; message: string }
  | { kind: 'invalid'; errors: Record<string, string>; typed: WaveFormValues }
  | {
      kind: 'confirm';
      intent: 'cancel' | 'settle';
      decision: 'sent' | 'resend' | null;
      title: string;
      description: string;
      button: string;
    };

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, waveRoles);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const parsed = waveActionForm.safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data<Answer>(
      { kind: 'result', ok: false, message: 'That change could not be read. Reload the page and try again.' },
      { status: 400 },
    );
  const { waves } = args.context.services;
  const actor = { type: 'staff' as const, id: active.staff.id };
  const id = args.params.waveId ?? '';
  const input = parsed.data;
  const refused = (reason: Parameters<typeof describeRefusal>[0]) =>
    data<Answer>(
      { kind: 'result', ok: false, message: describeRefusal(reason) },
      { status: reason === 'not_found' ? 404 : 409 },
    );

  switch (input.intent) {
    case 'update': {
      const { typed, input: wave } = waveFormInput(form);
      const result = await waves.update(actor, id, wave);
      if (result.ok)
        return data<Answer>({
          kind: 'result',
          ok: true,
          message:
            'Changes saved. As the last person to change it, you now count as its author: someone else approves it.',
        });
      if (result.reason === 'invalid')
        return data<Answer>({ kind: 'invalid', errors: result.errors, typed }, { status: 400 });
      return result.reason === 'not_found'
        ? refused('not_found')
        : data<Answer>(
            {
              kind: 'result',
              ok: false,
              message: 'This wave is no longer a draft, so it can no longer be changed. Nothing was saved.',
            },
            { status: 409 },
          );
    }
    case 'approve': {
      const result = await waves.approve(actor, id);
      if (!result.ok) return refused(result.reason);
      const finish = stamp(result.wave.projectedFinishAt);
      return data<Answer>({
        kind: 'result',
        ok: true,
        message: `Approved and scheduled: ${(result.wave.audienceCount ?? 0).toLocaleString('en-US')} messages${finish ? `, expected to be done by about ${finish}` : ''}. This is recorded in the audit log.`,
      });
    }
    case 'pause': {
      const result = await waves.pause(actor, id);
      if (!result.ok) return refused(result.reason);
      return data<Answer>({
        kind: 'result',
        ok: true,
        message:
          'Paused. Nothing more is sent until someone resumes it. Messages already handed to the provider may still arrive.',
      });
    }
    case 'resume': {
      const result = await waves.resume(actor, id);
      if (!result.ok) return refused(result.reason);
      return data<Answer>({
        kind: 'result',
        ok: true,
        message: 'Resumed. Messages whose send time has passed go out now, the others at their time.',
      });
    }
    case 'cancel': {
      if (input.confirm !== 'yes') {
        const wave = await waves.find(id);
        if (!wave) return refused('not_found');
        const counts = wave.state === 'draft' ? null : await waves.counts(id);
        const open = counts
          ? (counts.byState.pending ?? 0) + (counts.byState.claimed ?? 0) + (counts.byState.sending ?? 0)
          : 0;
        return data<Answer>({
          kind: 'confirm',
          intent: 'cancel',
          decision: null,
          title: `Cancel ${wave.name}?`,
          description: counts
            ? `${open.toLocaleString('en-US')} messages not yet sent will never be sent. Messages already sent stay sent. This cannot be undone: to send it later, write a new wave.`
            : 'The draft is kept for the record, marked Cancelled, and can no longer be approved. This cannot be undone.',
          button: 'Yes, cancel this wave',
        });
      }
      const result = await waves.cancel(actor, id);
      if (!result.ok) return refused(result.reason);
      return data<Answer>({
        kind: 'result',
        ok: true,
        message: 'Cancelled. Messages not yet sent will never be sent. This is recorded in the audit log.',
      });
    }
    case 'settle': {
      if (input.confirm !== 'yes') {
        const counts = await waves.counts(id);
        const n = (counts.byState.unknown ?? 0).toLocaleString('en-US');
        return data<Answer>({
          kind: 'confirm',
          intent: 'settle',
          decision: input.decision,
          title: input.decision === 'sent' ? `Mark ${n} messages as sent?` : `Send ${n} messages again?`,
          description:
            input.decision === 'sent'
              ? "Do this only after you found them in the provider's log (Twilio's message log, or the mail server's). They will count as sent and never be sent again."
              : 'They go out again now. Patients whose message did leave the first time will get it twice. If you can, check the provider’s log first.',
          button: input.decision === 'sent' ? 'Yes, they were sent' : 'Yes, send them again',
        });
      }
      const result = await waves.settleUnknown(actor, id, input.decision);
      if (!result.ok) return refused(result.reason);
      const n = result.count.toLocaleString('en-US');
      return data<Answer>({
        kind: 'result',
        ok: true,
        message:
          result.count === 0
            ? 'There was nothing left to decide: someone else already settled them.'
            : input.decision === 'sent'
              ? `${n} messages are now counted as sent. This is recorded in the audit log.`
              : `${n} messages will be sent again now. This is recorded in the audit log.`,
      });
    }
  }
}

const n = (value: number) => value.toLocaleString('en-US');

export default function WavePage() {
  const page = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { wave } = page;
  const confirm = answer?.kind === 'confirm' ? answer : null;
  const result = answer?.kind === 'result' ? answer : null;
  const invalid = answer?.kind === 'invalid' ? answer : null;
  const confirmHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (confirm) confirmHeading.current?.focus();
  }, [confirm]);
  const state = wave.state;
  const live = state !== 'draft';
  return (
    <>
      <p>
        <Link to="/staff/waves">All waves</Link>
      </p>
      <h1>
        {wave.name}{' '}
        <span className={`badge wave-state-${state}`}>
          <span className="visually-hidden">State: </span>
          {wave.stateLabel}
        </span>
      </h1>
      <p className="notice" id="what-next">
        <strong>What happens next: </strong>
        {wave.next}
      </p>
      {params.get('saved') && !answer ? (
        <p role="status" className="success">
          Draft saved. Another person must approve it before anything is sent.
        </p>
      ) : null}
      {result ? (
        <p role={result.ok ? 'status' : 'alert'} className={result.ok ? 'success' : 'error'}>
          {result.message}
        </p>
      ) : null}
      {confirm ? (
        <section className="notice" aria-labelledby="confirm-heading">
          <h2 id="confirm-heading" ref={confirmHeading} tabIndex={-1}>
            {confirm.title}
          </h2>
          <p>{confirm.description}</p>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value={confirm.intent} />
            {confirm.decision ? <input type="hidden" name="decision" value={confirm.decision} /> : null}
            <input type="hidden" name="confirm" value="yes" />
            <button type="submit">{confirm.button}</button>{' '}
            <Link to={`/staff/waves/${wave.id}`}>No, change nothing</Link>
          </Form>
        </section>
      ) : null}

      <dl className="facts">
        <dt>Cohort</dt>
        <dd>
          {wave.cohortName}{' '}
          <span className="hint">
            {wave.cutoverDate ? `(cutover ${wave.cutoverDate})` : '(no cutover date yet)'}
          </span>
        </dd>
        <dt>Message</dt>
        <dd>{wave.stageLabel}</dd>
        <dt>Send by</dt>
        <dd>{wave.channelNames.join(' and ')}</dd>
        <dt>When</dt>
        <dd>{wave.timing}</dd>
        <dt>Written by</dt>
        <dd>{wave.writtenBy ?? 'not recorded'}</dd>
        {wave.approvedBy || wave.approvedAt ? (
          <>
            <dt>Approved by</dt>
            <dd>
              {wave.approvedBy ?? 'not recorded'}
              {wave.approvedAt ? `, ${wave.approvedAt}` : ''}
            </dd>
          </>
        ) : null}
      </dl>

      {page.breaker ? (
        <section className="notice warning" aria-labelledby="breaker-heading">
          <h2 id="breaker-heading">Why this wave was paused</h2>
          <p>
            The safety switch paused it{page.breaker.pausedAt ? ` at ${page.breaker.pausedAt}` : ''}. It stops
            every wave that asks people to sign in when sign-ins start failing (the new platform or the
            sign-in pages may be in trouble) or when many people opt out (the message may be landing badly).
            Sending more would only make that worse.
          </p>
          <p>Over the last {page.breaker.windowMinutes} minutes:</p>
          <ul>
            <li>
              {`${n(page.breaker.signIns.failed)} of ${n(page.breaker.signIns.attempts)} sign-ins failed (${page.breaker.signIns.rate}; the switch trips above ${page.breaker.signIns.limit}).`}
            </li>
            <li>
              {`${n(page.breaker.optOuts.optedOut)} of ${n(page.breaker.optOuts.sent)} people sent a sign-in message opted out (${page.breaker.optOuts.rate}; the switch trips above ${page.breaker.optOuts.limit}).`}
            </li>
          </ul>
          <p className="hint">
            {`Rates count only once there are at least ${n(page.breaker.minSample)} sign-ins or messages.`}{' '}
            {page.breaker.stillTripped
              ? 'The figures are still over the limit now.'
              : 'The figures are under the limits now.'}
          </p>
          <p>
            <strong>It does not resume by itself.</strong> A person decides: check that patients can sign in
            and that the message reads well, then press Resume.
          </p>
        </section>
      ) : null}

      {state === 'scheduled' || state === 'sending' || state === 'paused' ? (
        <section aria-labelledby="actions-heading">
          <h2 id="actions-heading">Pause, resume or cancel</h2>
          {state === 'paused' ? (
            <Form method="post" className="inline-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="resume" />
              <button type="submit">Resume</button>
            </Form>
          ) : (
            <Form method="post" className="inline-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="pause" />
              <button type="submit">Pause</button>
            </Form>
          )}
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="secondary">
              Cancel this wave…
            </button>
          </Form>
          <p className="hint">
            Pausing keeps every message for later; cancelling drops the ones not yet sent, after you confirm.
          </p>
        </section>
      ) : null}

      {live && page.progress ? (
        <section aria-labelledby="progress-heading">
          <h2 id="progress-heading">Progress</h2>
          <p>
            <progress
              value={page.progress.done}
              max={Math.max(page.progress.total, 1)}
              aria-labelledby="progress-heading"
              aria-describedby="progress-figures"
            />{' '}
            <span id="progress-figures">
              {`${n(page.progress.done)} of ${n(page.progress.total)} messages sent, delivered, failed or skipped.`}
            </span>{' '}
            <Link to={`/staff/waves/${wave.id}`} reloadDocument>
              Refresh
            </Link>
          </p>
          <table>
            <caption className="visually-hidden">Messages by state and channel</caption>
            <thead>
              <tr>
                <th scope="col">State</th>
                {wave.channelNames.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
                <th scope="col">All</th>
              </tr>
            </thead>
            <tbody>
              {page.progress.rows.map((row) => (
                <tr key={row.key}>
                  <th scope="row">{row.label}</th>
                  {row.byChannel.map((value, i) => (
                    <td key={wave.channels[i]}>{n(value)}</td>
                  ))}
                  <td>{n(row.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      {page.unknown ? (
        <section className="notice warning" aria-labelledby="unknown-heading">
          <h2 id="unknown-heading">{`${n(page.unknown.total)} messages: not known whether they were sent`}</h2>
          <p>
            A worker stopped while it was sending these
            {page.unknown.since ? ` (from ${page.unknown.since})` : ''}, so we do not know whether they left.
            They are never sent again on their own. (
            {page.unknown.byChannel.map((c) => `${c.label}: ${n(c.n)}`).join(', ')}.)
          </p>
          <p>
            Check the provider&apos;s log (Twilio&apos;s message log for text messages, the mail server&apos;s
            log for email), then choose. Both ask you to confirm.
          </p>
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="settle" />
            <input type="hidden" name="decision" value="sent" />
            <button type="submit">They were sent (checked the provider&apos;s log)</button>
          </Form>
          <Form method="post" className="inline-form">
            <CsrfInput />
            <input type="hidden" name="intent" value="settle" />
            <input type="hidden" name="decision" value="resend" />
            <button type="submit" className="secondary">
              Send them again
            </button>
          </Form>
        </section>
      ) : null}

      {live ? (
        <section aria-labelledby="report-heading">
          <h2 id="report-heading">Report</h2>
          {page.report.length === 0 ? (
            <p>No messages in this wave.</p>
          ) : (
            <div className="wave-report">
              <table>
                <caption className="visually-hidden">Messages by channel and language</caption>
                <thead>
                  <tr>
                    <th scope="col">Channel</th>
                    <th scope="col">Language</th>
                    <th scope="col">Sent</th>
                    <th scope="col">Delivered</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Skipped</th>
                    <th scope="col">Opened the link</th>
                    <th scope="col">Signed in</th>
                    <th scope="col">Still to send</th>
                    <th scope="col">Not known</th>
                  </tr>
                </thead>
                <tbody>
                  {page.report.map((r) => (
                    <tr key={`${r.channel}-${r.locale}`}>
                      <th scope="row">{r.channel}</th>
                      <td>{r.language}</td>
                      <td>{n(r.sent)}</td>
                      <td>{n(r.delivered)}</td>
                      <td>{n(r.failed)}</td>
                      <td>{n(r.skipped)}</td>
                      <td>{n(r.opened)}</td>
                      <td>{n(r.signedIn)}</td>
                      <td>{n(r.pending)}</td>
                      <td>{n(r.unknown)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <figure>
                <WaveFunnelChart funnel={page.funnel} />
                <figcaption className="hint">
                  Sent includes delivered. Signed in counts patients who signed in after their message was
                  sent.
                </figcaption>
              </figure>
            </div>
          )}
        </section>
      ) : null}

      <section aria-labelledby="preview-heading">
        <h2 id="preview-heading">What patients get</h2>
        <p className="hint">
          {`Patients get the version in their language. This wave sends the ${page.preview.usedMoment} version; the other is shown for comparison. The link in the texts is a sample as long as a real one, so the segment count is what each text costs.`}
        </p>
        <table className="preview-grid">
          <caption className="visually-hidden">
            The message in each language, before and after cutover
          </caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              {wave.channels.includes('email') ? <th scope="col">Email</th> : null}
              {wave.channels.includes('sms') ? <th scope="col">Text message</th> : null}
            </tr>
          </thead>
          <tbody>
            {page.preview.rows.map((row) => (
              <tr key={row.key}>
                <th scope="row">
                  {row.language}, {row.moment}
                  {row.used ? <span className="hint preview-used">This wave sends this one</span> : null}
                </th>
                {row.email ? (
                  <td>
                    <p>
                      <strong>Subject:</strong> <span lang={row.locale}>{row.email.subject}</span>
                    </p>
                    <iframe
                      className="email-preview"
                      src={row.email.src}
                      title={`Email preview: ${row.language}, ${row.moment}`}
                      loading="lazy"
                      referrerPolicy="no-referrer"
                    />
                    <p className="hint">
                      <a href={row.email.src} target="_blank" rel="noreferrer">
                        Open this email on its own page
                      </a>
                    </p>
                  </td>
                ) : null}
                {row.sms ? (
                  <td>
                    <p className="sms-text" lang={row.locale}>
                      {row.sms.text}
                    </p>
                    <p className="hint">
                      {`${row.sms.segments} ${row.sms.segments === 1 ? 'segment' : 'segments'} (${row.sms.encoding}), ${row.sms.characters} characters`}
                    </p>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {page.audience ? (
        <section aria-labelledby="audience-heading">
          <h2 id="audience-heading">Audience</h2>
          <p>
            {live
              ? `Counted now. At approval the wave held ${n(wave.audienceAtApproval ?? 0)} messages; anyone who has opted out or signed in since is still skipped when their turn comes.`
              : `${n(page.audience.total)} messages would go out if this were approved now.`}
          </p>
          <table>
            <caption className="visually-hidden">Who gets the wave and who is left out, per channel</caption>
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Gets it</th>
                <th scope="col">Left out, and why</th>
              </tr>
            </thead>
            <tbody>
              {page.audience.channels.map((c) => (
                <tr key={c.channel}>
                  <th scope="row">{c.label}</th>
                  <td>{n(c.included)}</td>
                  <td>
                    {c.excluded.length === 0 ? (
                      'Nobody'
                    ) : (
                      <ul className="plain-list">
                        {c.excluded.map((e) => (
                          <li key={e.reason}>{`${e.label}: ${n(e.n)}`}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      {page.projection ? (
        <section aria-labelledby="projection-heading">
          <h2 id="projection-heading">When it will go out</h2>
          {page.projection.missingCutoverDate ? (
            <p className="error" role="alert">
              {`${wave.cohortName} has no cutover date yet, and this wave is timed from it, so it cannot be scheduled. An admin can set the date on the Cohorts page; or give the wave an exact date and time.`}
            </p>
          ) : page.projection.firstSend ? (
            <dl className="facts">
              <dt>First message</dt>
              <dd>{page.projection.firstSend}</dd>
              <dt>Last message, about</dt>
              <dd>{page.projection.finish}</dd>
              {wave.channels.includes('sms') ? (
                <>
                  <dt>Texts held for daytime</dt>
                  <dd>
                    {page.projection.deferredByQuietHours === 0
                      ? 'None: every text falls between 08:00 and 21:00 where the patient lives.'
                      : `${n(page.projection.deferredByQuietHours)} texts would fall at night where the patient lives, so they wait until 08:00 there.`}
                  </dd>
                </>
              ) : null}
            </dl>
          ) : (
            <p>Nobody would get it, so nothing would be sent.</p>
          )}
        </section>
      ) : null}

      {state === 'draft' && page.audience && page.projection ? (
        <section aria-labelledby="approve-heading" className="approval">
          <h2 id="approve-heading">Approve</h2>
          {wave.writtenByViewer ? (
            <p className="notice">
              Another person must approve what you wrote. Ask a colleague in marketing, or an admin, to open
              this page.
            </p>
          ) : page.projection.missingCutoverDate || page.audience.total === 0 ? (
            <p>
              {page.projection.missingCutoverDate
                ? 'It can be approved once the cohort has a cutover date.'
                : 'It can be approved once someone in the cohort can get it: see who is left out and why under Audience.'}
            </p>
          ) : (
            <>
              <p>
                {`Approving schedules ${n(page.audience.total)} messages to ${wave.cohortName}`}
                {page.projection.finish
                  ? `, from ${page.projection.firstSend} until about ${page.projection.finish}`
                  : ''}
                . Check the messages above first. Approving is recorded in the audit log.
              </p>
              <Form method="post">
                <CsrfInput />
                <input type="hidden" name="intent" value="approve" />
                <button type="submit">Approve and schedule</button>
              </Form>
            </>
          )}
        </section>
      ) : null}

      {state === 'draft' && page.form && page.choices ? (
        <section aria-labelledby="edit-heading">
          <h2 id="edit-heading">Change the draft</h2>
          <p className="hint">
            Whoever changes a draft counts as its author, so someone else must approve it.
          </p>
          <WaveForm
            key={invalid ? 'retry' : 'saved'}
            intent="update"
            cohorts={page.choices.cohorts}
            stages={page.choices.stages}
            values={invalid?.typed ?? page.form}
            errors={invalid?.errors ?? null}
            submitLabel="Save changes"
          />
        </section>
      ) : null}

      {state === 'draft' ? (
        <section aria-labelledby="drop-heading">
          <h2 id="drop-heading">Cancel the draft</h2>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="cancel" />
            <p className="hint">It is kept for the record, marked Cancelled. You confirm first.</p>
            <button type="submit" className="secondary">
              Cancel this draft…
            </button>
          </Form>
        </section>
      ) : null}
    </>
  );
}
