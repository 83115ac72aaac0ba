// A patient's identity story for staff: what the import did with their row, each sign-in, each
// upgrade, each staff view. Built from the migration log and the audit log; nothing is stored twice.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { appendAudit } from '../db/audit.ts';
import {
  auditEvents,
  cohorts,
  importRows,
  importRuns,
  patientCredentials,
  patients,
} from '../db/schema/index.ts';

export interface TimelineEntry {
  at: Date;
  what: string;
  detail: string;
}

/** Email and phone as a role without need of them sees them: enough to recognise, not to contact. */
export function maskEmail(email: string | null): string | null {
  if (!email) return null;
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}${'•'.repeat(Math.max(1, Math.min(6, local.length - 1)))}@${domain}`;
}

export function maskPhone(phone: string | null): string | null {
  return phone ? `${'•'.repeat(Math.max(0, phone.length - 4))}${phone.slice(-4)}` : null;
}

function messageName(kind: unknown): string {
  if (kind === 'sign_in_code') return 'Sign-in code';
  if (kind === 'sign_in_help') return 'Shared-address help message';
  return 'Sign-in link and code';
}

const describe: Record<string, (data: Record<string, unknown>) => string> = {
  'patient.sign_in': (d) =>
    `Signed in (${String(d.method)}${d.family ? `, ${String(d.family)} hash` : ''})${d.firstSignIn ? ' — first time through the portal' : ''}`,
  'patient.sign_in_failed': (d) => `Sign-in failed: ${String(d.reason).replace(/_/g, ' ')}`,
  'patient.sign_in_ambiguous': (d) =>
    d.via
      ? `Sign-in ${d.via === 'sms' ? 'code' : 'link'} not sent: ${String(d.accounts)} accounts share the address (a help message went instead)`
      : `Sign-in stopped: ${String(d.accounts)} accounts share the identifier (${String(d.accepted)} accepted the password)`,
  'patient.credential_upgraded': (d) => `Password re-hashed from ${String(d.from)} to ${String(d.to)}`,
  'staff.viewed_patient': () => 'Viewed by staff',
  'patient.sign_in_locked': (d) =>
    `Password sign-in paused after ${String(d.failures)} failed attempts, until ${String(d.until).slice(0, 16).replace('T', ' ')} UTC`,
  'patient.sign_in_unlocked': () => 'Sign-in pause lifted by staff',
  'patient.welcome_completed': (d) =>
    `Welcome step done${d.passwordChanged ? ', chose a new password' : ''}${d.contactCorrect === 'no' ? ', says contact details are wrong' : d.contactCorrect === 'yes' ? ', confirmed contact details' : ''}`,
  'patient.welcome_skipped': () => 'Welcome step skipped',
  'patient.password_changed': () => 'Chose a new password',
  'oidc.consent_given': (d) => `Allowed ${String(d.clientId)} to receive their information`,
  'patient.signed_out': () => 'Signed out',
  'patient.sign_in_link_requested': (d) =>
    d.refused
      ? `Asked for a sign-in ${d.channel === 'sms' ? 'code by text' : 'link by email'}: not sent (account ${String(d.refused)})`
      : `Asked for a sign-in ${d.channel === 'sms' ? 'code by text' : 'link by email'}${d.resend ? ' again, from a spent link' : ''}`,
  'patient.sign_in_link_sent': (d) =>
    `${messageName(d.kind)} sent by ${d.channel === 'sms' ? 'text' : 'email'}`,
  'patient.sign_in_link_not_sent': (d) =>
    `${messageName(d.kind)} not sent by ${d.channel === 'sms' ? 'text' : 'email'}: ${String(d.reason).replace(/_/g, ' ')}`,
  'patient.sign_in_link_refused': (d) => `Sign-in link refused: ${String(d.reason)}`,
  'patient.sms_opted_out': () => 'Texted STOP: no more text messages',
  'patient.sms_opted_in': () => 'Texted START: text messages allowed again',
  'patient.email_unsubscribed': (d) =>
    `Unsubscribed from transition emails${d.via === 'one_click' ? ' (one-click, from the mail app)' : d.via === 'mail' ? ' (by email)' : ''}`,
  'patient.legacy_link_redeemed': (d) => `Old platform's sign-in link used (${String(d.kind)})`,
  'patient.legacy_link_refused': (d) =>
    `Old platform's sign-in link refused: ${String(d.reason).replace(/_/g, ' ')}`,
};

/**
 * The record and timeline of one patient for a staff member, and the audit entry of that read
 * (every staff read of PHI is audited). Null when there is no such patient.
 */
export async function viewPatientIdentity(
  db: Db,
  patientId: string,
  viewer: { staffId: string; role: string },
) {
  const [row] = await db
    .select({
      patient: patients,
      cohort: cohorts.name,
      credential: {
        family: patientCredentials.family,
        usable: patientCredentials.usable,
        origin: patientCredentials.origin,
        upgradedAt: patientCredentials.upgradedAt,
      },
    })
    .from(patients)
    .leftJoin(cohorts, eq(cohorts.id, patients.cohortId))
    .leftJoin(patientCredentials, eq(patientCredentials.patientId, patients.id))
    .where(eq(patients.id, patientId));
  if (!row) return null;
  await appendAudit(db, {
    action: 'staff.viewed_patient',
    actorType: 'staff',
    actorId: viewer.staffId,
    subjectType: 'patient',
    subjectId: patientId,
    data: { role: viewer.role },
  });
  const [imports, events] = await Promise.all([
    db
      .select({
        at: importRuns.startedAt,
        source: importRuns.source,
        line: importRows.line,
        outcome: importRows.outcome,
        reasons: importRows.reasons,
      })
      .from(importRows)
      .innerJoin(importRuns, eq(importRuns.id, importRows.runId))
      .where(eq(importRows.patientId, patientId))
      .orderBy(asc(importRows.id)),
    db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.subjectType, 'patient'),
          eq(auditEvents.subjectId, patientId),
          inArray(auditEvents.action, Object.keys(describe)),
        ),
      )
      .orderBy(asc(auditEvents.seq)),
  ]);
  const timeline: TimelineEntry[] = [
    ...imports.map((i) => ({
      at: i.at,
      what: `Import: ${i.outcome}`,
      detail: `${i.source}, line ${i.line}${i.reasons.length ? ` — ${i.reasons.join(', ').replace(/_/g, ' ')}` : ''}`,
    })),
    ...events.map((e) => ({
      at: e.at,
      what: describe[e.action]!(e.data),
      detail: e.actorType === 'staff' ? `staff ${e.actorId?.slice(0, 8) ?? ''}` : '',
    })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  return { ...row, timeline };
}

/** Email and phone of several patients at once, masked when the viewer's role does not need them. */
export async function contactPoints(db: Db, patientIds: string[], options: { masked: boolean }) {
  const map = new Map<string, { email: string | null; phone: string | null }>();
  if (patientIds.length === 0) return map;
  const rows = await db
    .select({ id: patients.id, email: patients.email, phone: patients.phone })
    .from(patients)
    .where(inArray(patients.id, patientIds));
  for (const r of rows)
    map.set(
      r.id,
      options.masked
        ? { email: maskEmail(r.email), phone: maskPhone(r.phone) }
        : { email: r.email, phone: r.phone },
    );
  return map;
}
