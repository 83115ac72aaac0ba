// URL rules: where each legacy path goes. Test a path as a visitor or a patient in a phase; admins add
// and delete rules (each change audited, in effect at once); unmapped paths, most hit first, with a
// one-click start on a rule for each.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { addRule, deleteRule, listRules, testRule } from '../../identity/url-rules/admin.ts';
import { listUnmapped, resolveUnmapped } from '../../identity/url-rules/unmapped.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { may, roles } from '../utils/staff-roles.ts';

const phases = ['anonymous', 'pending', 'pilot', 'migrating', 'cut_over', 'rolled_back'] as const;

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.viewUrlRules);
  const { database, urlRouter } = args.context.services;
  const url = new URL(args.request.url);
  const testPath = url.searchParams.get('test');
  const phase = z.enum(phases).catch('anonymous').parse(url.searchParams.get('phase'));
  const [rules, unmapped, tested] = await Promise.all([
    listRules(database.db, { limit: 200 }),
    listUnmapped(database.db, 50),
    testPath ? testRule(urlRouter, testPath, phase === 'anonymous' ? null : phase) : null,
  ]);
  return {
    canManage: may(active.staff.role, roles.manageUrlRules),
    loaded: urlRouter.rules,
    prefill: url.searchParams.get('source') ?? '',
    phase,
    tested: tested && {
      tested: tested.tested,
      decision: tested.decision,
      detail: tested.detail,
      rule: tested.rule && { source: tested.rule.source, when: tested.rule.when, target: tested.rule.target },
    },
    rules: rules.map((r) => ({
      id: r.id,
      kind: r.kind,
      source: r.source,
      target: r.target,
      when: r.when,
      status: r.status,
      note: r.note,
    })),
    unmapped: unmapped.map((u) => ({ path: u.path, hits: u.hits, lastSeenAt: u.lastSeenAt.toISOString() })),
  };
}

const actionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('add'),
    source: z.string().max(2048),
    target: z.string().max(2048),
    when: z.string().max(20).optional(),
    status: z.string().max(3).optional(),
    note: z.string().max(500).optional(),
  }),
  z.object({ intent: z.literal('delete'), id: z.string().uuid() }),
]);

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, roles.manageUrlRules);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const { database, urlRouter } = args.context.services;
  const parsed = actionSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data({ ok: false as const, message: 'That form was not complete.' }, { status: 400 });
  const actor = { type: 'staff' as const, id: active.staff.id };
  if (parsed.data.intent === 'delete') {
    const deleted = await deleteRule(database.db, parsed.data.id, actor);
    if (!deleted.ok)
      return data({ ok: false as const, message: 'That rule was already deleted.' }, { status: 404 });
    await urlRouter.reload();
    return { ok: true as const, message: `Deleted the rule for ${deleted.rule.source}.` };
  }
  const { intent: _intent, ...input } = parsed.data;
  const added = await addRule(database.db, input, actor);
  if (!added.ok)
    return data(
      {
        ok: false as const,
        message:
          added.reason === 'duplicate'
            ? `${added.existing.source} already has a rule for "${added.existing.when}": delete it first.`
            : added.problems.join(' '),
      },
      { status: 400 },
    );
  await resolveUnmapped(database.db, added.rule.source);
  await urlRouter.reload();
  return { ok: true as const, message: `Added: ${added.rule.source} → ${added.rule.target}.` };
}

export default function UrlRules() {
  const view = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  return (
    <>
      <h1>URL rules</h1>
      <p>
        {`In effect: ${view.loaded.exact.toLocaleString('en-US')} exact, ${view.loaded.prefix} prefix and ${view.loaded.pattern} pattern rules.`}{' '}
        Targets start with {'{new}'}, {'{legacy}'} or {'{self}'}; captured parts such as {'{id}'} and{' '}
        {'{crosswalk:appointment:id}'} fill them in.
      </p>
      {acted ? (
        <p className={acted.ok ? 'success' : 'error'} role={acted.ok ? 'status' : 'alert'}>
          {acted.message}
        </p>
      ) : null}

      <h2 id="test-heading">Test a path</h2>
      <Form method="get" className="stack narrow-form" aria-labelledby="test-heading">
        <label htmlFor="test">Path (with its query string, if any)</label>
        <input
          id="test"
          name="test"
          type="text"
          defaultValue={view.tested?.tested ?? ''}
          placeholder="/appointments/123"
        />
        <label htmlFor="phase">As</label>
        <select id="phase" name="phase" defaultValue={view.phase}>
          {phases.map((p) => (
            <option key={p} value={p}>
              {p === 'anonymous'
                ? 'a visitor who is not signed in'
                : `a patient whose cohort is ${p.replace('_', ' ')}`}
            </option>
          ))}
        </select>
        <button type="submit" className="secondary">
          Test
        </button>
      </Form>
      {view.tested ? (
        <p role="status">
          {`${view.tested.tested}: ${
            view.tested.decision.kind === 'redirect'
              ? `${view.tested.decision.status} to ${view.tested.decision.location}`
              : view.tested.decision.kind.replace(/_/g, ' ')
          } (${view.tested.detail.replace(/_/g, ' ')})${
            view.tested.rule
              ? `, by the rule ${view.tested.rule.source} [${view.tested.rule.when}] → ${view.tested.rule.target}`
              : ''
          }.`}
        </p>
      ) : null}

      {view.canManage ? (
        <>
          <h2 id="add-heading">Add a rule</h2>
          <Form method="post" className="stack narrow-form" aria-labelledby="add-heading">
            <CsrfInput />
            <label htmlFor="source">Legacy path</label>
            <input
              id="source"
              name="source"
              type="text"
              required
              defaultValue={view.prefill}
              placeholder="/messages/* or /appointments/:id"
            />
            <label htmlFor="target">Send to</label>
            <input
              id="target"
              name="target"
              type="text"
              required
              placeholder="{new}/visits/{crosswalk:appointment:id}"
            />
            <label htmlFor="when">When</label>
            <select id="when" name="when" defaultValue="always">
              <option value="always">always</option>
              <option value="before_cutover">before the patient's cohort cuts over</option>
              <option value="after_cutover">after the patient's cohort cuts over</option>
            </select>
            <label htmlFor="status">Status (leave empty: by the cohort's phase)</label>
            <input id="status" name="status" type="text" inputMode="numeric" placeholder="302" />
            <label htmlFor="note">Note</label>
            <input id="note" name="note" type="text" />
            <button type="submit" name="intent" value="add" className="primary">
              Add the rule
            </button>
          </Form>
        </>
      ) : null}

      <h2>Paths with no rule</h2>
      {view.unmapped.length === 0 ? (
        <p>None so far.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Path (personal data removed)</th>
              <th scope="col">Visits</th>
              <th scope="col">Last seen (UTC)</th>
              {view.canManage ? <th scope="col">Rule</th> : null}
            </tr>
          </thead>
          <tbody>
            {view.unmapped.map((u) => (
              <tr key={u.path}>
                <td>
                  <code>{u.path}</code>
                </td>
                <td>{u.hits.toLocaleString('en-US')}</td>
                <td>{u.lastSeenAt.slice(0, 16).replace('T', ' ')}</td>
                {view.canManage ? (
                  <td>
                    <Link to={`?source=${encodeURIComponent(u.path)}#add-heading`}>Add a rule</Link>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Rules</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Legacy path</th>
            <th scope="col">When</th>
            <th scope="col">Send to</th>
            <th scope="col">Status</th>
            {view.canManage ? <th scope="col">Delete</th> : null}
          </tr>
        </thead>
        <tbody>
          {view.rules.map((r) => (
            <tr key={r.id}>
              <td>{r.kind}</td>
              <td>
                <code>{r.source}</code>
              </td>
              <td>{r.when.replace('_', ' ')}</td>
              <td>
                <code>{r.target}</code>
              </td>
              <td>{r.status ?? 'by phase'}</td>
              {view.canManage ? (
                <td>
                  <Form method="post">
                    <CsrfInput />
                    <input type="hidden" name="id" value={r.id} />
                    <button
                      type="submit"
                      name="intent"
                      value="delete"
                      className="secondary"
                      aria-label={`Delete the rule for ${r.source} (${r.when})`}
                    >
                      Delete
                    </button>
                  </Form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
