import type { StaffRole } from '../../db/schema/staff.ts';

// Who may do what in the staff console; pages and loaders read these lists, the server enforces them.
export const roles = {
  viewImports: ['admin', 'support', 'marketing'],
  /** Contact details unmasked, patient records, problem-row downloads. */
  viewPatientIdentity: ['admin', 'support', 'clinical'],
  exportImportRows: ['admin', 'support'],
  /** Lift a patient's sign-in pause after repeated failures. */
  liftSignInLock: ['admin', 'support'],
  /** See cohorts, their phases and patient counts (counts only, no one identified). */
  viewCohorts: ['admin', 'support', 'marketing'],
  /** Create cohorts, set cutover dates, move phases (cut over, roll back, make final). */
  manageCohorts: ['admin'],
  /** See URL rules, test a path, see unmapped paths (paths are stored without personal data). */
  viewUrlRules: ['admin', 'support', 'marketing'],
  /** Add and delete URL rules. */
  manageUrlRules: ['admin'],
  /** See, write, approve (someone else's), pause, resume and cancel transition message waves. */
  manageWaves: ['admin', 'marketing'],
  /** Ticket queues and tickets, replies, notes, macros. Marketing never sees tickets. */
  workTickets: ['admin', 'support', 'clinical'],
  /** Read the words of clinical tickets (refills, the safety screen's hits); masked for the others. */
  readClinicalTickets: ['admin', 'clinical'],
  /** Close or solve a ticket the safety screen flagged. */
  closeSafetyTickets: ['clinical'],
  /** Edit and dry-run routing rules; set agents' queues and capacity. */
  manageSupport: ['admin'],
  /** Supervisors: who viewed which ticket, escalations. */
  reviewTicketViews: ['admin'],
} as const satisfies Record<string, readonly StaffRole[]>;

export function may(role: StaffRole, list: readonly StaffRole[]): boolean {
  return list.includes(role);
}
