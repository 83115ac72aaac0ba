// The outbox as staff see it: what would have been sent while SMTP / Twilio are not configured (the
// demo, a staging site). Its sign-in messages are live credentials, so only admins read it, and each
// read is audited like any read of patient data.
import { desc } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { outbox } from '../db/schema/index.ts';

export async function readOutbox(db: Db, viewer: { staffId: string; role: string }, limit = 50) {
  const rows = await db.select().from(outbox).orderBy(desc(outbox.createdAt)).limit(limit);
  await appendAudit(db, {
    action: 'staff.viewed_outbox',
    actorType: 'staff',
    actorId: viewer.staffId,
    data: { role: viewer.role, messages: rows.length },
  });
  return rows;
}
