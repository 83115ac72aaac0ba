// SLA clocks: which policy a ticket gets, and when its first response, half-time warning and
// resolution are due, on the support desk's business hours or around the clock for clinical work.
import type { SlaPolicy, TicketCategory, TicketPriority } from '../../db/schema/index.ts';
import { addWorkingMinutes, type BusinessHours, type SlaCalendar } from './business-hours.ts';

export interface SlaClocks {
  slaPolicyId: string;
  firstResponseDueAt: Date;
  resolutionDueAt: Date;
  escalateAt: Date | null;
}

/**
 * The policy for a ticket: of those whose category and priority match (null matches any), the most
 * specific — category and priority, then category, then priority, then neither — and among equally
 * specific ones the strictest. So a refill keeps the refill clock when a rule raises its priority,
 * and a refill the safety screen made urgent gets the urgent-refill clock.
 */
export function choosePolicy(
  policies: readonly SlaPolicy[],
  ticket: { category: TicketCategory; priority: TicketPriority },
): SlaPolicy | null {
  const specificity = (p: SlaPolicy) => (p.category === null ? 0 : 2) + (p.priority === null ? 0 : 1);
  const matching = policies.filter(
    (p) =>
      (p.category === null || p.category === ticket.category) &&
      (p.priority === null || p.priority === ticket.priority),
  );
  matching.sort(
    (a, b) =>
      specificity(b) - specificity(a) ||
      a.firstResponseMinutes - b.firstResponseMinutes ||
      a.resolutionMinutes - b.resolutionMinutes,
  );
  return matching[0] ?? null;
}

/** Clinical queues run around the clock whatever the policy says: a refill cannot wait for Monday. */
export function calendarFor(
  policy: Pick<SlaPolicy, 'calendar'>,
  clinicalQueue: boolean,
  hours: BusinessHours,
): SlaCalendar {
  return policy.calendar === 'always' || clinicalQueue ? { kind: 'always' } : { kind: 'business', hours };
}

export function startClocks(policy: SlaPolicy, calendar: SlaCalendar, createdAt: Date): SlaClocks {
  const firstResponseDueAt = addWorkingMinutes(calendar, createdAt, policy.firstResponseMinutes);
  return {
    slaPolicyId: policy.id,
    firstResponseDueAt,
    resolutionDueAt: addWorkingMinutes(calendar, createdAt, policy.resolutionMinutes),
    escalateAt:
      policy.escalateAtFraction === null
        ? null
        : addWorkingMinutes(calendar, createdAt, policy.firstResponseMinutes * policy.escalateAtFraction),
  };
}

const raise: Record<TicketPriority, TicketPriority> = {
  low: 'normal',
  normal: 'high',
  high: 'urgent',
  urgent: 'urgent',
};

export function raisedPriority(priority: TicketPriority): TicketPriority {
  return raise[priority];
}
