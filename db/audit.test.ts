import { describe, expect, it } from 'vitest';
import { asc } from 'drizzle-orm';
import { appendAudit, GENESIS_HASH, verifyAuditChain } from './audit.ts';
import { auditEvents } from './schema/index.ts';
import { tamper, privateTestDatabase } from '../test/support/db.ts';

const database = privateTestDatabase();

async function seedChain(n: number) {
  for (let i = 1; i <= n; i++) {
    await appendAudit(database.db, {
      action: 'staff.sign_in',
      actorType: 'staff',
      actorId: `staff-${i}`,
      data: { n: i, role: 'support' },
    });
  }
}

describe('audit log', () => {
  it('chains each event to the previous one', async () => {
    await seedChain(3);
    const rows = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[2]!.prevHash).toBe(rows[1]!.hash);
    expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 3 });
  });

  it('keeps one gap-free chain under concurrent writers', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        appendAudit(database.db, { action: 'test.concurrent', actorType: 'system', data: { i } }),
      ),
    );
    expect(await verifyAuditChain(database.db, 7)).toEqual({ ok: true, checked: 25 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the trigger', async () => {
    await seedChain(2);
    await expect(
      database.db.execute(`UPDATE audit_events SET action = 'x' WHERE seq = 1` as never),
    ).rejects.toThrow();
    await expect(database.db.update(auditEvents).set({ action: 'x' })).rejects.toThrow();
    await expect(database.db.delete(auditEvents)).rejects.toThrow();
    await expect(database.db.execute(`TRUNCATE audit_events` as never)).rejects.toThrow();
    expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 2 });
  });

  it('detects an edited row, naming it', async () => {
    await seedChain(5);
    await tamper(database, `UPDATE audit_events SET data = '{"n": 3, "role": "admin"}' WHERE seq = 3`);
    expect(await verifyAuditChain(database.db)).toEqual({
      ok: false,
      checked: 2,
      seq: 3,
      reason: 'row_altered',
    });
  });

  it('detects a deleted row, naming where the chain breaks', async () => {
    await seedChain(5);
    await tamper(database, `DELETE FROM audit_events WHERE seq = 2`);
    expect(await verifyAuditChain(database.db)).toEqual({
      ok: false,
      checked: 1,
      seq: 2,
      reason: 'row_missing',
    });
  });

  it('detects a row whose hash was recomputed after an edit, at the next row', async () => {
    await seedChain(4);
    await tamper(
      database,
      `UPDATE audit_events SET action = 'staff.sign_out', hash = repeat('a', 64) WHERE seq = 2`,
    );
    const result = await verifyAuditChain(database.db);
    expect(result).toEqual({ ok: false, checked: 1, seq: 2, reason: 'row_altered' });
  });
});
