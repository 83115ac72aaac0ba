// The audit log: append-only, each row hash-chained to the one before it (SHA-256 over the previous
// hash and an RFC 8785 canonical encoding of the event), so an edited or deleted row is detectable.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { asc, desc, gt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from './client.ts';
import { queryRows } from './pg-array.ts';
import { auditEvents, type AuditEventRow } from './schema/audit.ts';

export const GENESIS_HASH = '0'.repeat(64);
export type AuditActorType = AuditEventRow['actorType'];

export interface AuditEvent {
  action: string;
  actorType: AuditActorType;
  actorId?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  /** Context for the event. Never a password, token or clinical content. */
  data?: Record<string, unknown>;
}

type ChainFields = Pick<
  AuditEventRow,
  'seq' | 'at' | 'action' | 'actorType' | 'actorId' | 'subjectType' | 'subjectId' | 'data'
>;

export function hashAuditRow(prevHash: string, row: ChainFields): string {
  const canonical = canonicalize({
    seq: row.seq,
    at: row.at.toISOString(),
    action: row.action,
    actorType: row.actorType,
    actorId: row.actorId,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    data: row.data,
  });
  return createHash('sha256').update(prevHash).update('\n').update(canonical!).digest('hex');
}

interface ChainHead {
  seq: number;
  hash: string;
}

// The last row this process appended and saw committed, per database handle: the next append builds
// on it in one statement. Only committed rows are kept here, so a stale head only costs a retry.
const heads = new WeakMap<object, ChainHead>();
// One append at a time per handle: concurrent appends from one process would all race for one seq.
const queues = new WeakMap<object, Promise<unknown>>();

async function readHead(db: DbOrTx): Promise<ChainHead> {
  const [last] = await db
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  return last ?? { seq: 0, hash: GENESIS_HASH };
}

/**
 * Appends one event; inside a caller's transaction it joins it (and rolls back with it).
 *
 * The chain needs each row to name the hash of the row before it. The primary key on `seq` decides
 * who gets a seq: an insert that finds its seq taken (by another process, or a transaction that has
 * since committed) does nothing, and the append re-reads the head and tries again. Outside a
 * transaction that is a single statement when nobody else wrote in between.
 */
export async function appendAudit(db: DbOrTx, event: AuditEvent): Promise<AuditEventRow> {
  // A transaction's rows may still roll back: never remember them as the head.
  if ('rollback' in db) return insertEvent(db, event, false);
  const previous = queues.get(db) ?? Promise.resolve();
  const run = previous.then(
    () => insertEvent(db, event, true),
    () => insertEvent(db, event, true),
  );
  queues.set(db, run);
  try {
    return await run;
  } finally {
    if (queues.get(db) === run) queues.delete(db);
  }
}

async function insertEvent(db: DbOrTx, event: AuditEvent, remember: boolean): Promise<AuditEventRow> {
  // A JSON round trip drops undefined values, exactly as jsonb storage will.
  const data = JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>;
  let head = remember ? heads.get(db) : undefined;
  for (let attempt = 0; attempt < 1_000; attempt++) {
    head ??= await readHead(db);
    const fields: ChainFields = {
      seq: head.seq + 1,
      at: new Date(),
      action: event.action,
      actorType: event.actorType,
      actorId: event.actorId ?? null,
      subjectType: event.subjectType ?? null,
      subjectId: event.subjectId ?? null,
      data,
    };
    const row = { ...fields, prevHash: head.hash, hash: hashAuditRow(head.hash, fields) };
    // Taken only if the row it builds on is still the one remembered (a restored or emptied log
    // makes the remembered head wrong) and its seq is free.
    const inserted = await queryRows<{ seq: string }>(
      db,
      sql`insert into audit_events
            (seq, at, action, actor_type, actor_id, subject_type, subject_id, data, prev_hash, hash)
          select ${row.seq}, ${row.at.toISOString()}::timestamptz, ${row.action}, ${row.actorType},
                 ${row.actorId}, ${row.subjectType}, ${row.subjectId}, ${JSON.stringify(data)}::jsonb,
                 ${row.prevHash}, ${row.hash}
          where ${
            head.seq === 0
              ? sql`not exists (select 1 from audit_events)`
              : sql`exists (select 1 from audit_events where seq = ${head.seq} and hash = ${head.hash})`
          }
          on conflict do nothing
          returning seq`,
    );
    if (inserted.length === 1) {
      if (remember) heads.set(db, { seq: row.seq, hash: row.hash });
      return row;
    }
    head = undefined;
  }
  throw new Error('the audit log could not be appended to: its last row kept changing');
}

export type AuditVerification =
  | { ok: true; checked: number }
  | {
      ok: false;
      checked: number;
      /** The first row at which the chain no longer holds. */
      seq: number;
      reason: 'row_altered' | 'row_missing' | 'chain_broken';
    };

/** Walks the whole chain in order, in batches, and names the first row where it breaks. */
export async function verifyAuditChain(db: Db, batchSize = 2_000): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, expectedSeq - 1))
      .orderBy(asc(auditEvents.seq))
      .limit(batchSize);
    for (const row of rows) {
      if (row.seq !== expectedSeq) return { ok: false, checked, seq: expectedSeq, reason: 'row_missing' };
      if (row.prevHash !== prevHash) return { ok: false, checked, seq: row.seq, reason: 'chain_broken' };
      if (hashAuditRow(prevHash, row) !== row.hash) {
        return { ok: false, checked, seq: row.seq, reason: 'row_altered' };
      }
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (rows.length < batchSize) return { ok: true, checked };
  }
}

/** The most recent events, newest first, for the staff console. */
export async function listRecentAudit(db: Db, limit = 100): Promise<AuditEventRow[]> {
  return db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(limit);
}
