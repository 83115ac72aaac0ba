// Drafting a wave: cohort, message, channels and timing. Saving makes a draft that another person
// approves on the wave's own page.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { WaveForm } from '../components/wave-form.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { formChoices, waveFormInput, waveRoles } from '../utils/waves-view.server.ts';

export const meta: MetaFunction = () => [{ title: 'New wave' }];

// Only the intent is read here; the waves service checks every field of the wave and names what is wrong.
const newWaveForm = z.object({ intent: z.literal('create') });

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, waveRoles);
  const choices = await formChoices(args.context.services);
  const wanted = new URL(args.request.url).searchParams.get('cohort');
  return { ...choices, cohortId: choices.cohorts.some((c) => c.id === wanted) ? wanted! : '' };
}

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, waveRoles);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  if (!newWaveForm.safeParse(Object.fromEntries(form)).success)
    return data(
      { errors: null, message: 'That form could not be read. Reload the page and try again.', typed: null },
      { status: 400 },
    );
  const { typed, input } = waveFormInput(form);
  const result = await args.context.services.waves.create({ type: 'staff', id: active.staff.id }, input);
  if (result.ok) throw redirect(`/staff/waves/${result.wave.id}?saved=1`);
  if (result.reason !== 'invalid')
    return data({ errors: null, message: 'The wave could not be saved.', typed }, { status: 409 });
  return data({ errors: result.errors, message: null, typed }, { status: 400 });
}

export default function NewWave() {
  const { cohorts, stages, cohortId } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  return (
    <>
      <p>
        <Link to="/staff/waves">All waves</Link>
      </p>
      <h1>New wave</h1>
      <p>
        Saving makes a draft. Nothing is sent until another person checks the messages and the audience and
        approves it.
      </p>
      {answer?.message ? (
        <p className="error" role="alert">
          {answer.message}
        </p>
      ) : null}
      {cohorts.length === 0 ? (
        <p className="notice">There are no cohorts yet. An admin adds them on the Cohorts page.</p>
      ) : (
        <WaveForm
          key={answer ? 'retry' : 'blank'}
          intent="create"
          cohorts={cohorts}
          stages={stages}
          values={answer?.typed ?? { cohortId, channels: ['email'] }}
          errors={answer?.errors ?? null}
          submitLabel="Save draft"
        />
      )}
    </>
  );
}
