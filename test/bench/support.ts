// Issue 8's measures: 10,000 help requests arriving together through the real intake (safety screen,
// routing by the shipped rules, SLA clocks, the "received" email into the outbox, assignment after each)
// with two more assigner loops racing on their own pool, against plain single-row ticket inserts at the
// same concurrency; then the queue page's reads with 10,000 open tickets, beside a trivial query.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { createDb, type DatabaseHandle } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import type { TicketCategory } from '../../db/schema/index.ts';
import { loadConfig } from '../../infra/env.ts';
import { createLogger } from '../../infra/logger.ts';
import { assignWaiting } from '../../messaging/support/assignment.ts';
import { ticketSubtypes } from '../../messaging/support/routing.ts';
import { addOidc, createApp, loadBuild, wireServices } from '../../server.ts';
import { drain, percentile } from './harness.ts';

const TICKETS = Number(process.env.BENCH_SUPPORT_TICKETS ?? 10_000);
const CONCURRENCY = 50;
const AGENTS = 20;
const CAPACITY = 10;
const QUEUES = ['clinical', 'sign_in', 'sign_in_bridged', 'billing', 'appointments', 'general'];
const categories: TicketCategory[] = [
  'sign_in',
  'sign_in',
  'sign_in',
  'refill',
  'billing',
  'appointment',
  'other',
];
const words = [
  'I cannot sign in since the move to the new portal.',
  'My link expired before I could use it.',
  'Please refill my metformin, the pharmacy says it needs approval.',
  'Why was I charged twice for the visit on the 3rd?',
  'I need to move my appointment to next week.',
  'No puedo entrar al portal nuevo, ayuda por favor.',
  'Where do I find my test results now?',
];

async function seed(db: DatabaseHandle['db']) {
  const phases = ['pilot', 'migrating', 'cut_over'] as const;
  const cohortIds: string[] = [];
  for (const phase of phases) {
    const [row] = await queryRows<{ id: string }>(
      db,
      sql`insert into cohorts (name, phase) values (${`bench-${phase}-${randomBytes(3).toString('hex')}`}, ${phase}) returning id`,
    );
    cohortIds.push(row!.id);
  }
  await db.execute(sql`
    insert into patients (legacy_id, email, email_normalized, email_verified, given_name, locale, cohort_id, state)
    select 'S' || i, 'p' || i || '@bench.example', 'p' || i || '@bench.example', true, 'Maria',
           case when i % 5 = 0 then 'es' else 'en' end::patient_locale,
           (${`{${cohortIds.join(',')}}`}::uuid[])[1 + i % 3],
           (array['imported','notified','bridged','active'])[1 + i % 4]::patient_state
    from generate_series(1, 6000) as i`);
  const patients = await queryRows<{ id: string }>(db, sql`select id from patients order by legacy_id`);
  const staffRows = await queryRows<{ id: string }>(
    db,
    sql`insert into staff (email, role, password_hash)
        select 'agent' || i || '@harbor.example', 'support', 'not-used' from generate_series(1, ${AGENTS}) as i
        returning id`,
  );
  // Each agent works two or three queues; every queue has several agents.
  for (const [i, s] of staffRows.entries()) {
    const queues = [QUEUES[i % 6]!, QUEUES[(i + 1) % 6]!, ...(i % 2 ? [QUEUES[(i + 3) % 6]!] : [])];
    await db.execute(
      sql`insert into support_agents (staff_id, available, capacity, queues)
          values (${s.id}, true, ${CAPACITY}, ${`{${queues.join(',')}}`}::text[])`,
    );
  }
  return patients.map((p) => p.id);
}

async function openDatabase(
  url: string | undefined,
): Promise<{ main: DatabaseHandle; second: DatabaseHandle }> {
  if (url) {
    const main = await createDb({ url, poolSize: 20 });
    await main.migrate();
    return { main, second: await createDb({ url, poolSize: 4 }) };
  }
  const main = await createDb({ dataDir: 'memory://' });
  await main.migrate();
  return { main, second: main };
}

export async function benchSupport(databaseUrl: string | undefined): Promise<string[]> {
  const out: string[] = [];
  const kind = databaseUrl ? 'PostgreSQL' : 'PGlite (in process)';
  const { main, second } = await openDatabase(databaseUrl);
  const db = main.db;
  const patientIds = await seed(db);
  const config = loadConfig({
    // Only the settings are read (the database is the one opened above), so no DATABASE_URL is needed.
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: '/nonexistent-bench-data',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    PUBLIC_URL: 'https://portal.harbor.example',
  });
  const services = wireServices(config, main, createLogger({ level: 'warn' }));

  // Baseline: one plain ticket row per call, same concurrency, no screen, rules, clocks or email.
  const baseline = await drain(
    Array.from({ length: TICKETS }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      await db.execute(
        sql`insert into tickets (channel, category, queue_id) values ('web', 'other', ${QUEUES[i % 6]!})`,
      );
    },
  );
  await db.execute(sql`truncate tickets cascade`);
  await db.execute(sql`update support_agents set open_count = 0, last_assigned_at = null`);

  const requests = Array.from({ length: TICKETS }, (_, i) => {
    const category = categories[i % categories.length]!;
    const subtypes = ticketSubtypes[category];
    const anonymous = i % 6 === 0;
    return {
      patientId: anonymous ? null : patientIds[(i * 7919) % patientIds.length]!,
      contact: anonymous ? { email: `someone${i}@mail.example` } : null,
      category,
      subtype: subtypes.length && i % 2 ? subtypes[i % subtypes.length]! : null,
      message: words[i % words.length]!,
      locale: (i % 5 === 0 ? 'es' : 'en') as 'en' | 'es',
    };
  });
  let intakeDone = false;
  let loopAssigned = 0;
  let rounds = 0;
  const assigner = async (handle: DatabaseHandle) => {
    while (!intakeDone) {
      loopAssigned += (await assignWaiting(handle.db)).assigned;
      rounds++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const loops = [assigner(main), assigner(second)];
  const intake = await drain(requests, CONCURRENCY, async (request) => {
    const result = await services.support.submitHelpRequest(request);
    if (!result.ok) throw new Error(`request refused: ${result.reason}`);
  });
  intakeDone = true;
  await Promise.all(loops);

  const [totals] = await queryRows<{ tickets: number; routed: number; assigned: number; outbox: number }>(
    db,
    sql`select count(*)::int as tickets,
               count(*) filter (where queue_id is not null and sla_policy_id is not null)::int as routed,
               count(assignee_id)::int as assigned,
               (select count(*)::int from outbox) as outbox
        from tickets`,
  );
  const byQueue = await queryRows<{ queue_id: string; n: number }>(
    db,
    sql`select queue_id, count(*)::int as n from tickets group by 1 order by 1`,
  );
  const load = await queryRows<{ staff_id: string; open_count: number; capacity: number; real: number }>(
    db,
    sql`select a.staff_id, a.open_count, a.capacity,
               (select count(*)::int from tickets t where t.assignee_id = a.staff_id
                  and t.status in ('open', 'waiting_on_patient')) as real
        from support_agents a`,
  );
  const overCapacity = load.filter((a) => a.real > a.capacity).length;
  const countMismatch = load.filter((a) => a.real !== a.open_count).length;
  const [assignedEvents] = await queryRows<{ n: number; distinct_tickets: number }>(
    db,
    sql`select count(*)::int as n, count(distinct id)::int as distinct_tickets from tickets where assigned_at is not null`,
  );

  out.push(
    `### Support intake and assignment: ${TICKETS.toLocaleString('en-US')} help requests arriving together (${kind}, ${CONCURRENCY} at a time, ${AGENTS} agents × capacity ${CAPACITY}, assignment after each request plus 2 assigner loops${databaseUrl ? ' on separate pools' : ' on the one embedded database'})`,
  );
  out.push('');
  out.push('| what | per second | p95 per request | baseline (same run) | ratio |');
  out.push('| --- | ---: | ---: | --- | ---: |');
  out.push(
    `| help request → screened, routed, clocks, received email, assignment | ${intake.perSecond.toFixed(0)} | ${intake.p95.toFixed(1)} ms | plain ticket INSERT ${baseline.perSecond.toFixed(0)} /s (p95 ${baseline.p95.toFixed(1)} ms) | ${((intake.perSecond / baseline.perSecond) * 100).toFixed(0)} % |`,
  );
  out.push('');
  out.push(
    `Routed to a queue with SLA clocks: ${totals!.routed.toLocaleString('en-US')} of ${totals!.tickets.toLocaleString('en-US')} (${byQueue.map((q) => `${q.queue_id} ${q.n}`).join(', ')}); "received" emails in the outbox: ${totals!.outbox.toLocaleString('en-US')}.`,
  );
  out.push(
    `Assigned: ${totals!.assigned} (capacity ${AGENTS * CAPACITY}; ${loopAssigned} of them by the 2 racing loops over ${rounds} rounds, the rest right after intake); tickets assigned ${assignedEvents!.n}, distinct ${assignedEvents!.distinct_tickets}; agents over capacity: ${overCapacity}; agents whose open_count differs from their tickets: ${countMismatch}.`,
  );
  out.push('');

  // The queue page with every ticket open: the SQL app/routes/staff.tickets._index.tsx is to run.
  const pageSql = (queue: string | null) => sql`
    select id, number, category, subtype, status, priority, queue_id, assignee_id, safety_flag,
           created_at, first_response_due_at
    from tickets
    where status in ('open', 'waiting_on_patient') ${queue ? sql`and queue_id = ${queue}` : sql``}
    order by priority desc nulls last, created_at
    limit 50`;
  const countsSql = sql`select queue_id, count(*)::int as n from tickets
                        where status in ('open', 'waiting_on_patient') group by queue_id`;
  const measure = async (work: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 30; i++) await work(i);
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await work(i);
      times.push(performance.now() - t);
    }
    return percentile(times, 95);
  };
  const trivial = await measure(() => db.execute(sql`select 1`));
  const all = await measure(() => Promise.all([db.execute(pageSql(null)), db.execute(countsSql)]));
  const queue = await measure((i) =>
    Promise.all([db.execute(pageSql(QUEUES[i % QUEUES.length]!)), db.execute(countsSql)]),
  );
  const [open] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from tickets where status in ('open', 'waiting_on_patient')`,
  );

  // The real page over HTTP, as a signed-in support agent: the server in this process, on loopback.
  const app = createApp({ services: await addOidc(services), build: await loadBuild() });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  const token = randomBytes(32).toString('base64url');
  const [agent] = await queryRows<{ id: string }>(
    db,
    sql`select staff_id as id from support_agents order by staff_id limit 1`,
  );
  await db.execute(sql`insert into staff_sessions (token_hash, staff_id, stage, expires_at)
    values (${createHash('sha256').update(token).digest('hex')}, ${agent!.id}, 'full', now() + interval '1 day')`);
  const page = (path: string) => async () => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: { cookie: `cw_staff=${token}`, 'x-forwarded-proto': 'https' },
    });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    await response.text();
  };
  const healthz = await measure(page('/healthz'));
  const httpAll = await measure(page('/staff/tickets?view=all'));
  const httpQueue = await measure((i) => page(`/staff/tickets?view=${QUEUES[i % QUEUES.length]!}`)());
  server.close();

  out.push(
    `### The agent's queue page with ${open!.n.toLocaleString('en-US')} open tickets (${kind}; 300 sequential reads after 30 warm-up)`,
  );
  out.push('');
  out.push('| what | p95 | baseline (same run) | target |');
  out.push('| --- | ---: | --- | --- |');
  out.push(
    `| GET /staff/tickets?view=all over HTTP (signed-in agent, whole page rendered) | ${httpAll.toFixed(2)} ms | GET /healthz p95 ${healthz.toFixed(2)} ms | ≤ 200 ms ${httpAll <= 200 ? 'met' : 'MISSED'} |`,
  );
  out.push(
    `| GET /staff/tickets?view=<queue> over HTTP (each of the 6 in turn) | ${httpQueue.toFixed(2)} ms | same | ≤ 200 ms ${httpQueue <= 200 ? 'met' : 'MISSED'} |`,
  );
  out.push(
    `| its reads alone: first 50 by priority and age + count per queue (all) | ${all.toFixed(2)} ms | \`select 1\` p95 ${trivial.toFixed(2)} ms | — |`,
  );
  out.push(`| its reads alone (one queue) | ${queue.toFixed(2)} ms | same | — |`);
  out.push('');

  await services.messaging.close();
  if (second !== main) await second.close();
  await main.close();
  return out;
}
