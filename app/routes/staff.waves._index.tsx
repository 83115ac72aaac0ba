// Waves of transition messages, newest first: what each says, to whom, when, and how far it has got.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { cohortOptions, listWaves, waveRoles } from '../utils/waves-view.server.ts';

export const meta: MetaFunction = () => [{ title: 'Waves' }];

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, waveRoles);
  const { services } = args.context;
  const cohort = z
    .string()
    .uuid()
    .optional()
    .catch(undefined)
    .parse(new URL(args.request.url).searchParams.get('cohort') || undefined);
  const [waves, cohorts] = await Promise.all([listWaves(services, cohort), cohortOptions(services)]);
  return { waves, cohorts, cohort: cohort ?? '' };
}

export default function Waves() {
  const { waves, cohorts, cohort } = useLoaderData<typeof loader>();
  const cohortName = cohorts.find((c) => c.id === cohort)?.name;
  return (
    <>
      <h1>Waves</h1>
      <p>
        A wave sends one transition message to a cohort by email, text message or both. One person writes it,
        another approves it; then each patient gets it at their own send time.
      </p>
      <p>
        <Link to={cohort ? `/staff/waves/new?cohort=${cohort}` : '/staff/waves/new'} className="button">
          New wave
        </Link>
      </p>
      <Form method="get" className="inline-filter" aria-labelledby="filter-heading">
        <h2 id="filter-heading" className="visually-hidden">
          Filter
        </h2>
        <label htmlFor="filter-cohort">Cohort</label>
        <select id="filter-cohort" name="cohort" defaultValue={cohort}>
          <option value="">All cohorts</option>
          {cohorts.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>{' '}
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      {waves.length === 0 ? (
        <p>{cohortName ? `No waves for ${cohortName} yet.` : 'No waves yet.'}</p>
      ) : (
        <table>
          <caption className="visually-hidden">
            {cohortName ? `Waves for ${cohortName}, newest first` : 'Waves, newest first'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Wave</th>
              <th scope="col">Cohort</th>
              <th scope="col">Message</th>
              <th scope="col">Send by</th>
              <th scope="col">When</th>
              <th scope="col">State</th>
              <th scope="col">Audience</th>
              <th scope="col">Progress</th>
              <th scope="col">Projected finish</th>
            </tr>
          </thead>
          <tbody>
            {waves.map((w) => (
              <tr key={w.id}>
                <th scope="row">
                  <Link to={`/staff/waves/${w.id}`}>{w.name}</Link>
                </th>
                <td>{w.cohortName}</td>
                <td>{w.stageLabel}</td>
                <td>{w.channels}</td>
                <td>{w.timing}</td>
                <td>
                  <span className={`badge wave-state-${w.state}`}>
                    <span className="visually-hidden">State: </span>
                    {w.stateLabel}
                  </span>
                  {w.pausedByBreaker ? <span className="hint"> by the safety switch</span> : null}
                </td>
                <td>
                  {w.audience.toLocaleString('en-US')}
                  <span className="hint"> (counted {w.audienceCounted})</span>
                </td>
                <td>
                  {w.total > 0 ? (
                    <>
                      <progress
                        value={w.done}
                        max={w.total}
                        aria-label={`${w.name}: ${w.done.toLocaleString('en-US')} of ${w.total.toLocaleString('en-US')} messages done`}
                      />{' '}
                      <span>
                        {w.done.toLocaleString('en-US')} of {w.total.toLocaleString('en-US')}
                      </span>
                    </>
                  ) : (
                    <span className="hint">Not started</span>
                  )}
                </td>
                <td>{w.projectedFinish ?? <span className="hint">After approval</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {waves.some((w) => w.total > 0) ? (
        <p className="hint">
          Progress counts messages sent, delivered, failed or skipped out of all in the wave.
        </p>
      ) : null}
    </>
  );
}
