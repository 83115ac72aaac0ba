import {
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useLoaderData } from '@remix-run/react';
import { viewPatientIdentity } from '../../identity/patient-timeline.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { may, roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Patient identity' }];

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.viewPatientIdentity);
  const view = await viewPatientIdentity(args.context.services.database.db, args.params.patientId ?? '', {
    staffId: active.staff.id,
    role: active.staff.role,
  });
  if (!view) throw new Response('No such patient', { status: 404 });
  const { patient, cohort, credential, timeline } = view;
  const lockedUntil =
    patient.signInLockedUntil && patient.signInLockedUntil > new Date()
      ? patient.signInLockedUntil.toISOString()
      : null;
  return {
    lock: lockedUntil ? { until: lockedUntil, canLift: may(active.staff.role, roles.liftSignInLock) } : null,
    patient: {
      legacyId: patient.legacyId,
      newPlatformId: patient.newPlatformId,
      name: [patient.givenName, patient.familyName].filter(Boolean).join(' ') || '(no name on file)',
      email: patient.email,
      phone: patient.phone,
      state: patient.state,
      locale: patient.locale,
      timeZone: patient.timeZone,
      flags: patient.flags,
      cohort,
    },
    credential: credential
      ? { family: credential.family, usable: credential.usable, origin: credential.origin }
      : null,
    timeline: timeline.map((t) => ({ at: t.at.toISOString(), what: t.what, detail: t.detail })),
  };
}

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, roles.liftSignInLock);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  if (form.get('intent') === 'lift-lock')
    await args.context.services.signInGuard.lift(args.params.patientId ?? '', active.staff.id);
  return redirect(`/staff/patients/${args.params.patientId ?? ''}`);
}

export default function PatientIdentity() {
  const { patient, credential, timeline, lock } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{patient.name}</h1>
      <p className="hint">Your view of this record is written to the audit log.</p>
      {lock ? (
        <section className="notice" aria-labelledby="lock-heading">
          <h2 id="lock-heading">Password sign-in is paused</h2>
          <p>
            After repeated failed attempts, password sign-in for this patient is paused until{' '}
            {lock.until.slice(0, 16).replace('T', ' ')} UTC. Lift it once you have confirmed who is calling.
          </p>
          {lock.canLift ? (
            <Form method="post" reloadDocument>
              <CsrfInput />
              <button type="submit" name="intent" value="lift-lock">
                Lift the pause
              </button>
            </Form>
          ) : null}
        </section>
      ) : null}
      <table>
        <tbody>
          {[
            ['Legacy id', patient.legacyId],
            ['New platform id', patient.newPlatformId ?? '—'],
            ['Cohort', patient.cohort ?? '—'],
            ['Migration state', patient.state],
            ['Email', patient.email ?? '—'],
            ['Phone', patient.phone ?? '—'],
            ['Language · time zone', `${patient.locale} · ${patient.timeZone}`],
            [
              'Password',
              credential
                ? `${credential.family} (${credential.origin === 'causeway' ? 'upgraded' : 'from the legacy export'}${credential.usable ? '' : ', not usable'})`
                : 'none: signs in by link or code',
            ],
            ['Flags', patient.flags.length ? patient.flags.join(', ').replace(/_/g, ' ') : 'none'],
          ].map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Identity timeline</h2>
      <ol>
        {timeline.map((t, i) => (
          <li key={i}>
            <strong>{t.at.slice(0, 16).replace('T', ' ')} UTC</strong> — {t.what}
            {t.detail ? <span className="hint"> ({t.detail})</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
