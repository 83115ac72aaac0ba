import type { StaffRole } from '../../db/schema/staff.ts';
import { roles } from './staff-roles.ts';

/** The staff console's pages. The navigation lists only those that exist and the viewer may open. */
export const staffPages = [
  { to: '/staff', label: 'Overview', roles: ['admin', 'support', 'clinical', 'marketing'] },
  { to: '/staff/tickets', label: 'Tickets', roles: roles.workTickets },
  { to: '/staff/support', label: 'Support rules and reports', roles: roles.manageSupport },
  { to: '/staff/cohorts', label: 'Cohorts', roles: roles.viewCohorts },
  { to: '/staff/waves', label: 'Waves', roles: roles.manageWaves },
  { to: '/staff/imports', label: 'Imports', roles: ['admin', 'support', 'marketing'] },
  { to: '/staff/team', label: 'Staff and sessions', roles: ['admin'] },
  { to: '/staff/url-rules', label: 'URL rules', roles: roles.viewUrlRules },
  { to: '/staff/outbox', label: 'Outbox', roles: ['admin'] },
  { to: '/staff/audit', label: 'Audit log', roles: ['admin'] },
] as const satisfies readonly { to: string; label: string; roles: readonly StaffRole[] }[];

export function pagesFor(role: StaffRole) {
  return staffPages.filter((page) => (page.roles as readonly StaffRole[]).includes(role));
}
