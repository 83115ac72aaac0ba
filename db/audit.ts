// The audit log: append-only, each row hash-chained to the one before it (SHA-256 over the previous
// hash and an RFC 8785 canonical encoding of the event), so an edited or deleted row is detectable.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { asc, desc, gt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from './client.ts';
import { auditEvents, type AuditEventRow } from './schema/audit.ts';

export const GENESIS_HASH = '0'.repeat(64);
// Serialises appenders across every process sharing the database.
const AUDIT_LOCK_KEY = 0x4341_5553; // "CAUS"

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

/** Appends one event. Inside a caller's transaction it joins it (and rolls back with it). */
export async function appendAudit(db: DbOrTx, event: AuditEvent): Promise<AuditEventRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
    const [last] = await tx
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    // A JSON round trip drops undefined values, exactly as jsonb storage will.
    const data = JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>;
    const fields: ChainFields = {
      seq: (last?.seq ?? 0) + 1,
      at: new Date(),
      action: event.action,
      actorType: event.actorType,
      actorId: event.actorId ?? null,
      subjectType: event.subjectType ?? null,
      subjectId: event.subjectId ?? null,
      data,
    };
    const prevHash = last?.hash ?? GENESIS_HASH;
    const row = { ...fields, prevHash, hash: hashAuditRow(prevHash, fields) };
    await tx.insert(auditEvents).values(row);
    return row;
  });
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
