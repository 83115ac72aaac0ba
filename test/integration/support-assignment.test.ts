// Round-robin assignment as two assigners in two processes would run it: on PostgreSQL two pools on the
// same database racing (FOR UPDATE SKIP LOCKED and the conditional capacity update decide), on PGlite
// two concurrent calls on the one handle. No ticket is given twice, no agent gets more than their
// capacity, and the open-ticket count the trigger keeps matches the tickets themselves.
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db, type DatabaseHandle } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import { staff, supportAgents, tickets, type TicketPriority } from '../../db/schema/index.ts';
import { assignWaiting } from '../../messaging/support/assignment.ts';
import { privateTestDatabase } from '../support/db.ts';

const database = privateTestDatabase();
// A second handle: another process's pool on PostgreSQL; the same embedded database on PGlite.
let other: DatabaseHandle | null = null;
const secondDb = (): Db => other?.db ?? database.db;

beforeAll(async () => {
  if (database.url) other = await createDb({ url: database.url, poolSize: 4 });
});
afterAll(async () => {
  await other?.close();
});

let agents: string[] = [];
beforeEach(async () => {
  const rows = await database.db
    .insert(staff)
    .values(
      ['ana', 'ben', 'cho'].map((name) => ({
        email: `${name}@harbor.example`,
        role: 'support' as const,
        passwordHash: 'not-used-here',
      })),
    )
    .returning({ id: staff.id });
  agents = rows.map((r) => r.id);
  await database.db
    .insert(supportAgents)
    .values(
      agents.map((staffId) => ({ staffId, available: true, capacity: 5, queues: ['sign_in', 'billing'] })),
    );
});

const priorities: TicketPriority[] = ['low', 'normal', 'high', 'urgent'];
const start = Date.parse('2026-03-09T14:00:00Z');

/** `n` open tickets over two queues, with mixed priorities, one minute apart. */
async function openTickets(n: number) {
  await database.db.insert(tickets).values(
    Array.from({ length: n }, (_, i) => ({
      channel: 'web' as const,
      category: i % 3 === 0 ? ('billing' as const) : ('sign_in' as const),
      queueId: i % 3 === 0 ? 'billing' : 'sign_in',
      priority: priorities[(i * 7) % 4]!,
      createdAt: new Date(start + i * 60_000),
      updatedAt: new Date(start + i * 60_000),
    })),
  );
  return database.db.select().from(tickets);
}

/** Most urgent first, then longest waiting: the order the desk promises. */
function byUrgency<T extends { priority: TicketPriority; createdAt: Date }>(list: T[]): T[] {
  return [...list].sort(
    (a, b) =>
      priorities.indexOf(b.priority) - priorities.indexOf(a.priority) ||
      a.createdAt.getTime() - b.createdAt.getTime(),
  );
}

async function loads() {
  const real = await queryRows<{ assignee_id: string; n: number }>(
    database.db,
    sql`select assignee_id, count(*)::int as n from tickets
        where assignee_id is not null and status in ('open', 'waiting_on_patient') group by assignee_id`,
  );
  const counted = await database.db.select().from(supportAgents).orderBy(asc(supportAgents.staffId));
  return {
    real: Object.fromEntries(agents.map((a) => [a, real.find((r) => r.assignee_id === a)?.n ?? 0])),
    openCount: Object.fromEntries(counted.map((a) => [a.staffId, a.openCount])),
  };
}

describe('two assigners at once', () => {
  it('assign 15 of 40 tickets, most urgent and oldest first, each once, no agent over capacity', async () => {
    const all = await openTickets(40);
    const now = new Date(start + 3_600_000);
    const [first, second] = await Promise.all([
      assignWaiting(database.db, { now }),
      assignWaiting(secondDb(), { now }),
    ]);
    expect(first.assigned + second.assigned).toBe(15);

    const after = await database.db.select().from(tickets);
    const assigned = after.filter((t) => t.assigneeId !== null);
    expect(assigned).toHaveLength(15);
    expect(new Set(assigned.map((t) => t.id)).size).toBe(15);
    expect(assigned.map((t) => t.id).sort()).toEqual(
      byUrgency(all)
        .slice(0, 15)
        .map((t) => t.id)
        .sort(),
    );
    const { real, openCount } = await loads();
    // Round robin with capacity 5: five each, and the trigger's count is the real count.
    expect(Object.values(real)).toEqual([5, 5, 5]);
    expect(openCount).toEqual(real);
  });

  it('round robin spreads a few tickets evenly, longest-idle agent first', async () => {
    await openTickets(6);
    await Promise.all([assignWaiting(database.db), assignWaiting(secondDb())]);
    const { real, openCount } = await loads();
    expect(Object.values(real)).toEqual([2, 2, 2]);
    expect(openCount).toEqual(real);
  });

  it('closing a ticket frees its agent for the next one in line', async () => {
    const all = await openTickets(40);
    await Promise.all([assignWaiting(database.db), assignWaiting(secondDb())]);
    const [done] = await database.db
      .select()
      .from(tickets)
      .where(eq(tickets.assigneeId, agents[1]!))
      .limit(1);
    await database.db.update(tickets).set({ status: 'closed' }).where(eq(tickets.id, done!.id));
    expect((await loads()).openCount[agents[1]!]).toBe(4);

    const [again, racing] = await Promise.all([assignWaiting(database.db), assignWaiting(secondDb())]);
    expect(again.assigned + racing.assigned).toBe(1);
    const next = byUrgency(all)[15]!;
    const [row] = await database.db.select().from(tickets).where(eq(tickets.id, next.id));
    expect(row!.assigneeId).toBe(agents[1]);
    const { real, openCount } = await loads();
    expect(Object.values(real)).toEqual([5, 5, 5]);
    expect(openCount).toEqual(real);
  });
});
