// Who answers: round robin among the agents who are available for a ticket's queue and below their
// capacity, most urgent and longest-waiting tickets first. Tickets are claimed with FOR UPDATE SKIP
// LOCKED and agents with a conditional update on their open-ticket count (kept by a trigger), so any
// number of assigners, in any number of processes, never give one ticket twice or an agent too many.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import { supportAgents, tickets } from '../../db/schema/index.ts';

export interface AssignResult {
  assigned: number;
}

const BATCH = 50;

/**
 * Assigns waiting tickets until no available agent has room (or nothing waits). One transaction per
 * batch: the batch's tickets stay locked against other assigners until their assignments commit.
 */
export async function assignWaiting(db: Db, options: { queues?: readonly string[]; now?: Date } = {}) {
  let assigned = 0;
  for (;;) {
    const queuesWithRoom = await queryRows<{ queue: string }>(
      db,
      sql`SELECT DISTINCT unnest(queues) AS queue FROM support_agents
          WHERE available AND open_count < capacity`,
    );
    const wanted = queuesWithRoom
      .map((r) => r.queue)
      .filter((q) => !options.queues || options.queues.includes(q));
    if (wanted.length === 0) break;
    const done = await db.transaction(async (tx) => {
      const batch = await queryRows<{ id: string; queue_id: string }>(
        tx,
        sql`SELECT id, queue_id FROM tickets
            WHERE assignee_id IS NULL AND status = 'open'
              AND queue_id IN (SELECT unnest(${`{${wanted.join(',')}}`}::text[]))
            ORDER BY priority DESC NULLS LAST, created_at
            LIMIT ${BATCH}
            FOR UPDATE SKIP LOCKED`,
      );
      let count = 0;
      const full = new Set<string>();
      for (const ticket of batch) {
        if (full.has(ticket.queue_id)) continue;
        // The agent who waited longest since their last assignment, with room, not locked by another
        // assigner; the WHERE on open_count is checked again on the locked row.
        const [agent] = await queryRows<{ staff_id: string }>(
          tx,
          sql`UPDATE support_agents SET last_assigned_at = ${options.now ?? new Date()}
              WHERE staff_id = (
                SELECT staff_id FROM support_agents
                WHERE available AND open_count < capacity AND ${ticket.queue_id} = ANY(queues)
                ORDER BY last_assigned_at NULLS FIRST, staff_id
                LIMIT 1 FOR UPDATE SKIP LOCKED)
                AND open_count < capacity
              RETURNING staff_id`,
        );
        if (!agent) {
          full.add(ticket.queue_id);
          continue;
        }
        const updated = await tx
          .update(tickets)
          .set({ assigneeId: agent.staff_id, assignedAt: options.now ?? new Date() })
          .where(and(eq(tickets.id, ticket.id), sql`${tickets.assigneeId} IS NULL`))
          .returning({ id: tickets.id });
        count += updated.length;
      }
      return { count, batchSize: batch.length };
    });
    assigned += done.count;
    if (done.count === 0) break;
  }
  return { assigned } satisfies AssignResult;
}

/** An agent says they can take tickets (or stop); capacity and queues default from their role. */
export async function setAvailability(
  db: Db,
  input: { staffId: string; available: boolean; defaultQueues: readonly string[]; defaultCapacity: number },
) {
  await db
    .insert(supportAgents)
    .values({
      staffId: input.staffId,
      available: input.available,
      queues: [...input.defaultQueues],
      capacity: input.defaultCapacity,
    })
    .onConflictDoUpdate({
      target: supportAgents.staffId,
      set: { available: input.available, updatedAt: new Date() },
    });
}
