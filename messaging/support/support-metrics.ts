// The support desk's figures for a period: tickets per 1,000 patients (by cohort, by subtype, by day),
// how long the first answer took (90th percentile, overall and per queue), and how many refill requests
// were answered within their SLA. Plain SQL that runs the same on PGlite and PostgreSQL.
//
// A ticket counts in the period it was opened (created_at, from inclusive, to exclusive); merged tickets
// are duplicates of another and are left out. Days are UTC days.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';

export interface SupportMetricsRange {
  from: Date;
  to: Date;
  /** For refill attainment: unanswered tickets not yet due by now are left out. Defaults to the clock. */
  now?: Date;
}

export interface RateRow {
  tickets: number;
  patients: number;
  /** Tickets per 1,000 patients, to two decimals; null when there are no patients to divide by. */
  per1000: number | null;
}

export interface SupportMetrics {
  from: Date;
  to: Date;
  overall: RateRow;
  byCohort: (RateRow & { cohortId: string | null; cohort: string })[];
  bySubtype: (RateRow & { category: string; subtype: string | null })[];
  /** Every UTC day of the range, days without tickets included. */
  byDay: (RateRow & { day: string })[];
  firstResponse: {
    /** Minutes, to one decimal; null when nothing in the period had a first response. */
    p90Minutes: number | null;
    answered: number;
    byQueue: { queueId: string; queue: string; p90Minutes: number | null; answered: number }[];
  };
  refillSla: {
    /** Answered by firstResponseDueAt. */
    met: number;
    /** Answered late, or unanswered and already past due. */
    missed: number;
    /** Unanswered and not yet due: not counted either way. */
    pending: number;
    /** met / (met + missed), 0–1 to four decimals; null when nothing counted. */
    attainment: number | null;
  };
}

const DAY_MS = 86_400_000;

function rate(tickets: number, patients: number): RateRow {
  return {
    tickets,
    patients,
    per1000: patients > 0 ? Math.round((tickets * 1000 * 100) / patients) / 100 : null,
  };
}

const round1 = (n: number | string | null) => (n === null ? null : Math.round(Number(n) * 10) / 10);

export async function supportMetrics(db: Db, range: SupportMetricsRange): Promise<SupportMetrics> {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const now = (range.now ?? new Date()).toISOString();
  const inRange = sql`t.created_at >= ${from}::timestamptz AND t.created_at < ${to}::timestamptz AND t.status <> 'merged'`;

  const [totals] = await queryRows<{ patients: number; tickets: number }>(
    db,
    sql`SELECT (SELECT count(*)::int FROM patients) AS patients,
               (SELECT count(*)::int FROM tickets t WHERE ${inRange}) AS tickets`,
  );
  const patientsTotal = totals?.patients ?? 0;

  const cohortRows = await queryRows<{
    cohort_id: string | null;
    cohort: string | null;
    patients: number;
    tickets: number;
  }>(
    db,
    sql`SELECT c.id AS cohort_id, c.name AS cohort,
               (SELECT count(*)::int FROM patients p WHERE p.cohort_id = c.id) AS patients,
               (SELECT count(*)::int FROM tickets t WHERE t.cohort_id = c.id AND ${inRange}) AS tickets
          FROM cohorts c
        UNION ALL
        SELECT NULL, NULL,
               (SELECT count(*)::int FROM patients p WHERE p.cohort_id IS NULL),
               (SELECT count(*)::int FROM tickets t WHERE t.cohort_id IS NULL AND ${inRange})
        ORDER BY 2 NULLS LAST`,
  );

  const subtypeRows = await queryRows<{ category: string; subtype: string | null; tickets: number }>(
    db,
    sql`SELECT t.category::text AS category, t.subtype, count(*)::int AS tickets
          FROM tickets t WHERE ${inRange}
         GROUP BY t.category, t.subtype
         ORDER BY tickets DESC, category, subtype NULLS LAST`,
  );

  const dayRows = await queryRows<{ day: string; tickets: number }>(
    db,
    sql`SELECT to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS tickets
          FROM tickets t WHERE ${inRange}
         GROUP BY 1`,
  );

  const minutes = sql`extract(epoch FROM (t.first_responded_at - t.created_at)) / 60.0`;
  const [overallResponse] = await queryRows<{ p90: number | string | null; answered: number }>(
    db,
    sql`SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY ${minutes}) AS p90, count(*)::int AS answered
          FROM tickets t WHERE ${inRange} AND t.first_responded_at IS NOT NULL`,
  );
  const queueResponse = await queryRows<{
    queue_id: string;
    queue: string;
    p90: number | string | null;
    answered: number;
  }>(
    db,
    sql`SELECT q.id AS queue_id, q.name AS queue,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY ${minutes}) AS p90,
               count(t.id)::int AS answered
          FROM support_queues q
          LEFT JOIN tickets t ON t.queue_id = q.id AND ${inRange} AND t.first_responded_at IS NOT NULL
         GROUP BY q.id, q.name, q.position
         ORDER BY q.position, q.id`,
  );

  const [refill] = await queryRows<{ met: number; missed: number; pending: number }>(
    db,
    sql`SELECT
          count(*) FILTER (WHERE t.first_responded_at IS NOT NULL
                             AND t.first_responded_at <= t.first_response_due_at)::int AS met,
          count(*) FILTER (WHERE (t.first_responded_at IS NOT NULL
                                  AND t.first_responded_at > t.first_response_due_at)
                              OR (t.first_responded_at IS NULL
                                  AND t.first_response_due_at <= ${now}::timestamptz))::int AS missed,
          count(*) FILTER (WHERE t.first_responded_at IS NULL
                             AND t.first_response_due_at > ${now}::timestamptz)::int AS pending
          FROM tickets t
         WHERE ${inRange} AND t.category = 'refill' AND t.first_response_due_at IS NOT NULL`,
  );

  const perDay = new Map(dayRows.map((d) => [d.day, d.tickets]));
  const byDay: SupportMetrics['byDay'] = [];
  const firstDay = Date.UTC(range.from.getUTCFullYear(), range.from.getUTCMonth(), range.from.getUTCDate());
  for (let t = firstDay; t < range.to.getTime(); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    byDay.push({ day, ...rate(perDay.get(day) ?? 0, patientsTotal) });
  }

  const met = refill?.met ?? 0;
  const missed = refill?.missed ?? 0;
  return {
    from: range.from,
    to: range.to,
    overall: rate(totals?.tickets ?? 0, patientsTotal),
    byCohort: cohortRows
      // The "no cohort" line only when it has anything to say.
      .filter((c) => c.cohort_id !== null || c.tickets > 0 || c.patients > 0)
      .map((c) => ({
        cohortId: c.cohort_id,
        cohort: c.cohort ?? 'No cohort (or not a known patient)',
        ...rate(c.tickets, c.patients),
      })),
    bySubtype: subtypeRows.map((s) => ({
      category: s.category,
      subtype: s.subtype,
      ...rate(s.tickets, patientsTotal),
    })),
    byDay,
    firstResponse: {
      p90Minutes: round1(overallResponse?.p90 ?? null),
      answered: overallResponse?.answered ?? 0,
      byQueue: queueResponse.map((q) => ({
        queueId: q.queue_id,
        queue: q.queue,
        p90Minutes: round1(q.p90),
        answered: q.answered,
      })),
    },
    refillSla: {
      met,
      missed,
      pending: refill?.pending ?? 0,
      attainment: met + missed > 0 ? Math.round((met / (met + missed)) * 10_000) / 10_000 : null,
    },
  };
}

export interface TicketViewsFilter {
  /** Part of a staff email (case ignored). */
  staffEmail?: string | null;
  /** From this instant (inclusive) to that one (exclusive). */
  from?: Date | null;
  to?: Date | null;
  page?: number;
  pageSize?: number;
}

export interface TicketViewRow {
  seq: number;
  at: Date;
  staffId: string | null;
  /** Null when the staff member has since been removed. */
  staffEmail: string | null;
  ticketId: string | null;
  ticketNumber: number | null;
  /** Whether the clinical text was hidden from the viewer; null when the event did not say. */
  masked: boolean | null;
}

/**
 * Who looked at which ticket (the audit log's `staff.viewed_ticket` events), newest first, for the
 * supervisors' page. The ticket number comes from the event, or from the ticket when the event lacks it.
 */
export async function ticketViews(
  db: Db,
  filter: TicketViewsFilter = {},
): Promise<{ rows: TicketViewRow[]; total: number; page: number; pageSize: number }> {
  const pageSize = Math.min(Math.max(filter.pageSize ?? 50, 1), 200);
  const page = Math.max(filter.page ?? 1, 1);
  const email = filter.staffEmail?.trim();
  const conditions = [sql`a.action = 'staff.viewed_ticket'`];
  if (email) conditions.push(sql`s.email ILIKE ${`%${email.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
  if (filter.from) conditions.push(sql`a.at >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) conditions.push(sql`a.at < ${filter.to.toISOString()}::timestamptz`);
  const where = sql.join(conditions, sql` AND `);
  const from = sql`FROM audit_events a
    LEFT JOIN staff s ON s.id::text = a.actor_id
    LEFT JOIN tickets t ON t.id::text = a.subject_id AND a.subject_type = 'ticket'`;
  const [count] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n ${from} WHERE ${where}`);
  const rows = await queryRows<{
    seq: number | string;
    at: Date | string;
    actor_id: string | null;
    email: string | null;
    subject_id: string | null;
    number: number | string | null;
    masked: boolean | null;
  }>(
    db,
    sql`SELECT a.seq, a.at, a.actor_id, s.email, a.subject_id,
               COALESCE(CASE WHEN jsonb_typeof(a.data->'number') = 'number'
                             THEN (a.data->>'number')::int END, t.number) AS number,
               CASE WHEN jsonb_typeof(a.data->'masked') = 'boolean'
                    THEN (a.data->>'masked')::boolean END AS masked
          ${from} WHERE ${where}
         ORDER BY a.seq DESC
         LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
  );
  return {
    total: count?.n ?? 0,
    page,
    pageSize,
    rows: rows.map((r) => ({
      seq: Number(r.seq),
      at: new Date(r.at),
      staffId: r.actor_id,
      staffEmail: r.email,
      ticketId: r.subject_id,
      ticketNumber: r.number === null ? null : Number(r.number),
      masked: r.masked,
    })),
  };
}
