// Routing rules for support requests, in the order they are tried: each rule's conditions in plain words,
// an edit form (?edit=id), a form to add one, buttons to move, switch off and delete, a dry run that shows
// which rule would take a request and why each earlier one did not, and a replay of last week's tickets.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { parseBusinessHours } from '../../messaging/support/business-hours.ts';
import {
  conditionFields,
  deleteRule,
  describeConditions,
  dryRun,
  dryRunForm,
  dryRunRecent,
  formValuesOf,
  listRules,
  moveRule,
  saveRule,
  setEnabled,
  type RuleFormField,
} from '../../messaging/support/rules-admin.ts';
import {
  conditionLabels,
  routingCohortPhases,
  routingPatientStates,
  ticketCategories,
  ticketChannels,
  ticketPriorities,
  ticketSubtypes,
} from '../../messaging/support/routing.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Routing rules' }];

const placeholders: Record<(typeof conditionFields)[number], string> = {
  categories: ticketCategories.join(', '),
  subtypes: 'forgot_password, locked_out',
  patientStates: routingPatientStates.join(', '),
  cohorts: 'wave-1',
  cohortPhases: routingCohortPhases.join(', '),
  channels: ticketChannels.join(', '),
  languages: 'en, es',
  words: 'refill, pharmacy, farmacia',
};

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, roles.manageSupport);
  const { rules, unreadable, queues } = await listRules(args.context.services.database.db);
  const editId = new URL(args.request.url).searchParams.get('edit');
  const editing = rules.find((r) => r.id === editId) ?? null;
  const queueNames = new Map(queues.map((q) => [q.id, q.name]));
  return {
    // The words the forms offer (messaging/ stays out of the browser bundle: they travel as data).
    vocab: {
      fields: conditionFields.map((field) => ({
        field,
        label: conditionLabels[field][0]!.toUpperCase() + conditionLabels[field].slice(1),
        placeholder: placeholders[field],
      })),
      categories: [...ticketCategories],
      channels: [...ticketChannels],
      priorities: ticketPriorities.filter((p) => p !== 'normal'),
      subtypes: [...new Set(Object.values(ticketSubtypes).flat())],
    },
    queues: queues.map((q) => ({ id: q.id, name: q.name, clinical: q.clinical })),
    unreadable,
    editing: editing ? formValuesOf(editing) : null,
    rules: rules.map((r, i) => ({
      id: r.id,
      position: r.position,
      name: r.name,
      enabled: r.enabled,
      first: i === 0,
      last: i === rules.length - 1,
      conditions: describeConditions(r.conditions),
      queue: queueNames.get(r.actions.queue) ?? `${r.actions.queue} (no such queue: goes to General)`,
      priority: r.actions.priority ?? 'normal',
      tags: r.actions.tags ?? [],
    })),
  };
}

const idOnly = z.object({ id: z.string().max(100) });

export const actionForm = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('save') }).passthrough(),
  idOnly.extend({ intent: z.literal('up') }),
  idOnly.extend({ intent: z.literal('down') }),
  idOnly.extend({ intent: z.literal('enable') }),
  idOnly.extend({ intent: z.literal('disable') }),
  idOnly.extend({ intent: z.literal('delete') }),
  z.object({ intent: z.literal('dry_run') }).passthrough(),
  z.object({ intent: z.literal('replay') }),
]);

type Message = { ok: boolean; message: string };

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, roles.manageSupport);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const { services } = args.context;
  const db = services.database.db;
  const actor = { id: active.staff.id };
  const onChange = () => services.support.intake.invalidate();
  const fields = Object.fromEntries([...form.entries()].filter(([k]) => k !== 'csrf')) as Record<
    string,
    string
  >;
  const parsed = actionForm.safeParse(fields);
  if (!parsed.success)
    return data(
      { kind: 'message' as const, ok: false, message: 'That form was not complete. Reload the page.' },
      { status: 400 },
    );
  const notFound = data(
    {
      kind: 'message' as const,
      ok: false,
      message: 'That rule is gone: someone deleted it. Reload the page.',
    },
    { status: 404 },
  );
  const done = (m: Message) => ({ kind: 'message' as const, ...m });

  switch (parsed.data.intent) {
    case 'save': {
      const { intent: _intent, enabled, ...rest } = fields;
      const values = { name: '', queue: '', ...rest, enabled: enabled === 'on' };
      const saved = await saveRule(db, actor, values, onChange);
      if (!saved.ok && 'reason' in saved) return notFound;
      if (!saved.ok)
        return data(
          {
            kind: 'save_failed' as const,
            ok: false,
            message: 'The rule was not saved. Fix what is marked below.',
            errors: saved.errors as Partial<Record<RuleFormField, string>>,
            values: { ...rest, enabled: enabled === 'on' ? 'on' : '' } as Partial<
              Record<RuleFormField, string>
            >,
          },
          { status: 400 },
        );
      return done({
        ok: true,
        message: `${saved.created ? 'Added' : 'Saved'} "${saved.rule.name}" at position ${saved.rule.position}. New requests follow it now.`,
      });
    }
    case 'up':
    case 'down': {
      const moved = await moveRule(db, actor, parsed.data.id, parsed.data.intent, onChange);
      if (!moved.ok && moved.reason === 'not_found') return notFound;
      return done(
        moved.ok
          ? { ok: true, message: `Moved the rule ${parsed.data.intent}.` }
          : { ok: false, message: `That rule is already ${parsed.data.intent === 'up' ? 'first' : 'last'}.` },
      );
    }
    case 'enable':
    case 'disable': {
      const on = parsed.data.intent === 'enable';
      const changed = await setEnabled(db, actor, parsed.data.id, on, onChange);
      if (!changed.ok) return notFound;
      return done({ ok: true, message: on ? 'The rule is on again.' : 'The rule is off: routing skips it.' });
    }
    case 'delete': {
      const deleted = await deleteRule(db, actor, parsed.data.id, onChange);
      if (!deleted.ok) return notFound;
      return done({ ok: true, message: `Deleted "${'name' in deleted ? deleted.name : ''}".` });
    }
    case 'dry_run': {
      const input = dryRunForm.safeParse(fields);
      if (!input.success)
        return data(
          { kind: 'message' as const, ok: false, message: 'Choose a category, a channel and a language.' },
          { status: 400 },
        );
      const { support } = services.config;
      const hours = parseBusinessHours(support.hours, support.timeZone, support.holidays);
      if ('error' in hours) throw new Error(`SUPPORT_HOURS: ${hours.error}`);
      const result = await dryRun(db, input.data, { businessHours: hours });
      const when = (d: Date | null) =>
        d
          ? new Intl.DateTimeFormat('en-US', {
              timeZone: support.timeZone,
              weekday: 'short',
              month: 'short',
              day: 'numeric',
              hour: 'numeric',
              minute: '2-digit',
              timeZoneName: 'short',
            }).format(d)
          : null;
      return {
        kind: 'dry_run' as const,
        input: input.data,
        facts: {
          patientState: result.facts.patientState,
          cohort: result.facts.cohort,
          cohortPhase: result.facts.cohortPhase,
        },
        patientFound: result.patientFound,
        safetyFirst: result.safetyFirst,
        safetyKinds: result.safety.kinds,
        steps: result.steps,
        decision: { ruleName: result.decision.ruleName, queue: result.decision.queue },
        outcome: result.outcome,
        sla: result.sla && {
          policyName: result.sla.policyName,
          calendar: result.sla.calendar,
          firstResponseMinutes: result.sla.firstResponseMinutes,
          receivedAt: when(result.sla.receivedAt),
          firstResponseDueAt: when(result.sla.firstResponseDueAt),
          escalateAt: when(result.sla.escalateAt),
          resolutionDueAt: when(result.sla.resolutionDueAt),
        },
      };
    }
    case 'replay': {
      const { rules } = await listRules(db);
      const replay = await dryRunRecent(db, rules, 7, { cipher: services.cipher });
      return { kind: 'replay' as const, ...replay };
    }
  }
}

type Vocab = ReturnType<typeof useLoaderData<typeof loader>>['vocab'];

function RuleFields({
  prefix,
  values,
  errors,
  queues,
  vocab,
}: {
  vocab: Vocab;
  prefix: string;
  values: Partial<Record<RuleFormField, string>>;
  errors: Partial<Record<RuleFormField, string>>;
  queues: { id: string; name: string }[];
}) {
  const id = (field: string) => `${prefix}-${field}`;
  const describedBy = (field: RuleFormField, hint?: boolean) =>
    [hint ? id(`${field}-hint`) : null, errors[field] ? id(`${field}-error`) : null]
      .filter(Boolean)
      .join(' ') || undefined;
  const error = (field: RuleFormField) =>
    errors[field] ? (
      <p className="error" id={id(`${field}-error`)}>
        {errors[field]}
      </p>
    ) : null;
  return (
    <>
      {values.id ? <input type="hidden" name="id" value={values.id} /> : null}
      <label htmlFor={id('name')}>Name</label>
      <input
        id={id('name')}
        name="name"
        type="text"
        defaultValue={values.name ?? ''}
        aria-invalid={errors.name ? true : undefined}
        aria-describedby={describedBy('name')}
      />
      {error('name')}
      <label htmlFor={id('position')}>Position (lower goes first; empty: after the last rule)</label>
      <input
        id={id('position')}
        name="position"
        type="text"
        inputMode="numeric"
        defaultValue={values.position ?? ''}
        aria-invalid={errors.position ? true : undefined}
        aria-describedby={describedBy('position')}
      />
      {error('position')}
      <label>
        <input type="checkbox" name="enabled" defaultChecked={values.enabled !== ''} /> On
      </label>
      <fieldset>
        <legend>When every condition you fill in holds (separate items with commas or lines)</legend>
        <p className="hint">Subtypes: {vocab.subtypes.join(', ')}.</p>
        {vocab.fields.map(({ field, label, placeholder }) => (
          <div key={field} className="stack">
            <label htmlFor={id(field)}>{label}</label>
            <input
              id={id(field)}
              name={field}
              type="text"
              defaultValue={values[field] ?? ''}
              placeholder={placeholder}
              aria-invalid={errors[field] ? true : undefined}
              aria-describedby={describedBy(field)}
            />
            {error(field)}
          </div>
        ))}
      </fieldset>
      <label htmlFor={id('queue')}>Send to the queue</label>
      <select
        id={id('queue')}
        name="queue"
        defaultValue={values.queue ?? ''}
        aria-invalid={errors.queue ? true : undefined}
        aria-describedby={describedBy('queue')}
      >
        <option value="">Choose a queue</option>
        {queues.map((q) => (
          <option key={q.id} value={q.id}>
            {q.name}
          </option>
        ))}
      </select>
      {error('queue')}
      <label htmlFor={id('priority')}>Priority</label>
      <select
        id={id('priority')}
        name="priority"
        defaultValue={values.priority ?? ''}
        aria-describedby={describedBy('priority')}
      >
        <option value="">normal</option>
        {vocab.priorities.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      {error('priority')}
      <label htmlFor={id('tags')}>Tags (lower-case words, commas between)</label>
      <input
        id={id('tags')}
        name="tags"
        type="text"
        defaultValue={values.tags ?? ''}
        aria-invalid={errors.tags ? true : undefined}
        aria-describedby={describedBy('tags')}
      />
      {error('tags')}
    </>
  );
}

const stepWords = {
  matched: 'takes it',
  off: 'off: skipped',
  not_reached: 'not reached',
} as const;

export default function SupportRules() {
  const view = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const failedSave = acted?.kind === 'save_failed' ? acted : null;
  const failedEdit = failedSave?.values.id ? failedSave : null;
  const failedAdd = failedSave && !failedSave.values.id ? failedSave : null;
  const dry = acted?.kind === 'dry_run' ? acted : null;
  const replay = acted?.kind === 'replay' ? acted : null;
  return (
    <>
      <p>
        <Link to="/staff/support">Support rules and reports</Link>
      </p>
      <h1>Routing rules</h1>
      <p>
        Rules are tried from the top; the first one whose conditions all hold decides the queue, priority and
        tags. Requests no rule takes go to General. Before any rule, the safety screen sends emergency and
        self-harm messages to Clinical as urgent; rules cannot change that.
      </p>
      {acted && (acted.kind === 'message' || acted.kind === 'save_failed') ? (
        <p className={acted.ok ? 'success' : 'error'} role={acted.ok ? 'status' : 'alert'}>
          {acted.message}
        </p>
      ) : null}
      {view.unreadable.length ? (
        <p className="error" role="alert">
          {`These stored rules could not be read and are skipped: ${view.unreadable.map((r) => `${r.position}. ${r.name}`).join('; ')}. Delete and add them again.`}
        </p>
      ) : null}

      <ol className="rule-list">
        {view.rules.map((r) => (
          <li key={r.id} id={`rule-${r.id}`}>
            <h2>
              {`${r.position}. ${r.name}`}
              {r.enabled ? null : <span className="badge"> off</span>}
            </h2>
            <p>
              {`When ${r.conditions.length ? r.conditions.join(', and ') : 'always'}: `}
              {`send to ${r.queue}, priority ${r.priority}${r.tags.length ? `, tags ${r.tags.join(', ')}` : ''}.`}
            </p>
            <Form method="post" reloadDocument className="inline-form">
              <CsrfInput />
              <input type="hidden" name="id" value={r.id} />
              <button
                type="submit"
                name="intent"
                value="up"
                className="secondary"
                disabled={r.first}
                aria-label={`Move "${r.name}" up`}
              >
                Up
              </button>{' '}
              <button
                type="submit"
                name="intent"
                value="down"
                className="secondary"
                disabled={r.last}
                aria-label={`Move "${r.name}" down`}
              >
                Down
              </button>{' '}
              <button
                type="submit"
                name="intent"
                value={r.enabled ? 'disable' : 'enable'}
                className="secondary"
                aria-label={`${r.enabled ? 'Turn off' : 'Turn on'} "${r.name}"`}
              >
                {r.enabled ? 'Turn off' : 'Turn on'}
              </button>{' '}
              <button
                type="submit"
                name="intent"
                value="delete"
                className="secondary"
                aria-label={`Delete "${r.name}"`}
              >
                Delete
              </button>{' '}
              <Link to={`?edit=${r.id}#edit-heading`}>Edit</Link>
            </Form>
          </li>
        ))}
      </ol>

      {view.editing || failedEdit ? (
        <>
          <h2 id="edit-heading">Edit a rule</h2>
          <Form method="post" reloadDocument className="stack narrow-form" aria-labelledby="edit-heading">
            <CsrfInput />
            <RuleFields
              prefix="edit"
              values={failedEdit?.values ?? view.editing ?? {}}
              errors={failedEdit?.errors ?? {}}
              queues={view.queues}
              vocab={view.vocab}
            />
            <button type="submit" name="intent" value="save" className="primary">
              Save the rule
            </button>
          </Form>
        </>
      ) : null}

      <h2 id="add-heading">Add a rule</h2>
      <Form method="post" reloadDocument className="stack narrow-form" aria-labelledby="add-heading">
        <CsrfInput />
        <RuleFields
          prefix="add"
          values={failedAdd?.values ?? {}}
          errors={failedAdd?.errors ?? {}}
          queues={view.queues}
          vocab={view.vocab}
        />
        <button type="submit" name="intent" value="save" className="primary">
          Add the rule
        </button>
      </Form>

      <h2 id="dry-heading">Dry run</h2>
      <p>Try a request against the rules as they are now. Nothing is saved and nobody is told.</p>
      <Form method="post" reloadDocument className="stack narrow-form" aria-labelledby="dry-heading">
        <CsrfInput />
        <label htmlFor="dry-category">Category</label>
        <select id="dry-category" name="category" defaultValue={dry?.input.category ?? 'sign_in'}>
          {view.vocab.categories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <label htmlFor="dry-subtype">Subtype (optional)</label>
        <input id="dry-subtype" name="subtype" type="text" defaultValue={dry?.input.subtype ?? ''} />
        <label htmlFor="dry-channel">Channel</label>
        <select id="dry-channel" name="channel" defaultValue={dry?.input.channel ?? 'web'}>
          {view.vocab.channels.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <label htmlFor="dry-language">Language</label>
        <select id="dry-language" name="language" defaultValue={dry?.input.language ?? 'en'}>
          <option value="en">English</option>
          <option value="es">Spanish</option>
        </select>
        <label htmlFor="dry-patient">Patient's legacy id (optional: their state and cohort are used)</label>
        <input
          id="dry-patient"
          name="patientLegacyId"
          type="text"
          defaultValue={dry?.input.patientLegacyId ?? ''}
        />
        <label htmlFor="dry-text">Message</label>
        <textarea id="dry-text" name="text" rows={3} defaultValue={dry?.input.text ?? ''} />
        <button type="submit" name="intent" value="dry_run" className="secondary">
          Try it
        </button>
      </Form>
      {dry ? (
        <section aria-labelledby="dry-result-heading">
          <h3 id="dry-result-heading">What would happen</h3>
          <p>
            {dry.patientFound === false
              ? 'No patient has that legacy id: the sender counts as unknown. '
              : ''}
            {`Facts: migration state ${dry.facts.patientState}, cohort ${dry.facts.cohort ?? 'none'}${dry.facts.cohortPhase ? ` (${dry.facts.cohortPhase.replace(/_/g, ' ')})` : ''}.`}
          </p>
          {dry.safetyFirst ? (
            <p className="error" role="alert">
              {`The safety screen takes it first (${dry.safetyKinds.join(' and ').replace(/_/g, '-')} words): it goes to ${dry.outcome.queueName} as urgent, whatever the rules say, and the sender gets 911/988 guidance at once.`}
            </p>
          ) : null}
          <p role="status">
            {dry.outcome.by === 'safety_screen'
              ? `Result: ${dry.outcome.queueName}, urgent, by the safety screen${dry.decision.ruleName ? ` (without it, the rule "${dry.decision.ruleName}" would have taken it)` : ''}.`
              : dry.outcome.by === 'rule'
                ? `Result: ${dry.outcome.queueName}, priority ${dry.outcome.priority}, by the rule "${dry.decision.ruleName}".`
                : `Result: no rule takes it, so it goes to ${dry.outcome.queueName}, priority normal.`}
          </p>
          <table>
            <caption>Rule by rule</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Rule</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {dry.steps.map((s) => (
                <tr key={s.ruleId}>
                  <td>{s.position}</td>
                  <th scope="row">{s.name}</th>
                  <td>
                    {s.outcome === 'failed' ? `does not match: ${s.failedLabel}` : stepWords[s.outcome]}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {dry.sla ? (
            <p>
              {`SLA: "${dry.sla.policyName}" (${dry.sla.calendar === 'always' ? 'around the clock' : 'business hours'}). Received ${dry.sla.receivedAt}: first answer due ${dry.sla.firstResponseDueAt}${dry.sla.escalateAt ? `, escalated at ${dry.sla.escalateAt}` : ''}, resolved by ${dry.sla.resolutionDueAt}.`}
            </p>
          ) : (
            <p>No SLA policy applies.</p>
          )}
        </section>
      ) : null}

      <h2 id="replay-heading">Last week under these rules</h2>
      <Form method="post" reloadDocument aria-labelledby="replay-heading">
        <CsrfInput />
        <p>See how many of the last 7 days' tickets these rules would put in a different queue.</p>
        <button type="submit" name="intent" value="replay" className="secondary">
          Compare
        </button>
      </Form>
      {replay ? (
        <div role="status">
          <p>
            {`${replay.changed.toLocaleString('en-US')} of ${replay.considered.toLocaleString('en-US')} tickets from the last ${replay.days} days would land in a different queue.`}
            {replay.safety
              ? ` ${replay.safety} more were taken by the safety screen and stay in Clinical.`
              : ''}
          </p>
          {replay.moves.length ? (
            <ul>
              {replay.moves.map((m) => (
                <li key={`${m.from}-${m.to}`}>{`${m.tickets} from ${m.from} to ${m.to}`}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
