// What the staff ticket pages show, worked out on the server from the support desk: the desk itself
// (built once per set of services), plain words for categories, states, SLA clocks and refusals, and the
// loader data of the queue page and of one ticket. Masking happens in the desk, before anything here.
import type { AppLoadContext } from '@remix-run/node';
import type { StaffRole } from '../../db/schema/staff.ts';
import { parseBusinessHours } from '../../messaging/support/business-hours.ts';
import {
  createDesk,
  type Desk,
  type DeskFailure,
  macroNames,
  type MacroName,
  type QueueView,
} from '../../messaging/support/desk.ts';
import { may, roles } from './staff-roles.ts';

type Services = AppLoadContext['services'];

/**
 * Who sees a patient's email and phone in full on a ticket: clinical staff and admins. Support agents
 * see them masked (enough to recognise a caller); the macros reach the contact on file for them.
 */
const fullContactRoles: readonly StaffRole[] = ['admin', 'clinical'];

const desks = new WeakMap<Services, Desk>();

/** The support desk for these services, built on first use. */
export function deskFor(context: AppLoadContext): Desk {
  const { services } = context;
  const known = desks.get(services);
  if (known) return known;
  const { support } = services.config;
  const hours = parseBusinessHours(support.hours, support.timeZone, support.holidays);
  if ('error' in hours) throw new Error(`SUPPORT_HOURS: ${hours.error}`);
  const desk = createDesk({
    db: services.database.db,
    cipher: services.cipher,
    support: services.support,
    signInLinks: services.signInLinks,
    signInGuard: services.signInGuard,
    // Looked up at call time: the server sets the wave workers' wake-up after wiring the services.
    wakeWaves: () => services.waveWake.wake(),
    businessHours: hours,
    policy: {
      workTickets: roles.workTickets,
      readClinical: roles.readClinicalTickets,
      closeSafety: roles.closeSafetyTickets,
      liftSignInLock: roles.liftSignInLock,
      fullContact: fullContactRoles,
    },
    defaultCapacity: support.agentCapacity,
    now: services.now,
  });
  desks.set(services, desk);
  return desk;
}

export const categoryLabels: Record<string, string> = {
  sign_in: "Can't sign in",
  refill: 'Refill',
  billing: 'Billing',
  appointment: 'Appointment',
  other: 'Other',
};

export const statusLabels: Record<string, string> = {
  open: 'Open',
  waiting_on_patient: 'Waiting for the patient',
  solved: 'Solved',
  closed: 'Closed',
  merged: 'Merged',
};

export const priorityLabels: Record<string, string> = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
};

const channelLabels: Record<string, string> = {
  web: 'help page',
  sms: 'text message',
  email: 'email',
  portal: 'portal',
  staff: 'staff console',
};

const macroLabels: Record<MacroName, string> = {
  resend_sign_in_link: 'Send a new sign-in link',
  unlock_sign_in: 'Lift the sign-in pause',
  resend_last_wave: 'Send the last transition message again',
};

const safetyKindLabels: Record<string, string> = {
  emergency: 'a medical emergency',
  self_harm: 'self-harm',
};

/** Refusals in plain words, and the HTTP status the page answers with. */
export function describeDeskRefusal(
  reason: DeskFailure,
  extra: { retryAfterSeconds?: number } = {},
): { status: number; message: string } {
  switch (reason) {
    case 'not_found':
      return { status: 404, message: 'There is no such ticket.' };
    case 'not_allowed':
      return { status: 403, message: 'Your role does not allow this. Nothing was changed.' };
    case 'clinical_only':
      return {
        status: 403,
        message: 'Only clinical staff can do this on a clinical ticket. Nothing was changed.',
      };
    case 'empty_message':
      return { status: 400, message: 'Write something first. Nothing was sent.' };
    case 'closed':
      return { status: 409, message: 'This ticket is closed or merged. Nothing was changed.' };
    case 'merged':
      return { status: 409, message: 'This ticket was merged into another one. Work on that one instead.' };
    case 'same_ticket':
      return { status: 409, message: 'A ticket cannot be merged into itself.' };
    case 'target_not_found':
      return { status: 409, message: 'There is no ticket with that number. Nothing was merged.' };
    case 'target_closed':
      return {
        status: 409,
        message: 'That ticket is closed or merged itself. Reopen it first, or merge into another one.',
      };
    case 'different_patients':
      return {
        status: 409,
        message:
          'These tickets are not from the same patient (or the same sender), so they cannot be merged: one person would see what the other wrote.',
      };
    case 'no_such_staff':
      return { status: 409, message: 'That staff member cannot take tickets.' };
    case 'no_patient':
      return {
        status: 409,
        message: 'This ticket is not tied to a patient account, so there is nothing to act on.',
      };
    case 'account_unavailable':
      return {
        status: 409,
        message: 'The account is closed or locked, so no sign-in link was sent.',
      };
    case 'no_contact':
      return { status: 409, message: 'There is no email or phone on file, so nothing was sent.' };
    case 'nothing_to_resend':
      return {
        status: 409,
        message: 'This patient has no transition message that can be sent again.',
      };
    case 'too_many_requests': {
      const minutes = Math.max(1, Math.ceil((extra.retryAfterSeconds ?? 60) / 60));
      return {
        status: 429,
        message: `Too many sign-in links were asked for this patient. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}. Nothing was sent.`,
      };
    }
  }
}

/** "2 hours 5 minutes" (never seconds: nobody acts on them). */
function span(ms: number): string {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
  if (rest && !days) parts.push(`${rest} minute${rest === 1 ? '' : 's'}`);
  return parts.join(' ');
}

function clock(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  return (at: Date) => format.format(at);
}

/** "due in 2 hours (Tue, Mar 3, 2:05 PM EST)" or "was due 20 minutes ago (…)". */
function due(at: Date | null, now: Date, when: (at: Date) => string): string | null {
  if (!at) return null;
  const ms = at.getTime() - now.getTime();
  return ms >= 0 ? `due in ${span(ms)} (${when(at)})` : `was due ${span(ms)} ago (${when(at)})`;
}

const subtypeWords = (subtype: string | null) => (subtype ? subtype.replace(/_/g, ' ') : null);

export function parseQueueView(value: string | null): QueueView {
  return value && /^[a-z0-9_]{1,40}$/.test(value) ? value : 'all';
}

export async function queuePage(
  context: AppLoadContext,
  viewer: { id: string; role: StaffRole },
  input: { view: QueueView; page: number },
) {
  const desk = deskFor(context);
  const result = await desk.queue({ viewer, view: input.view, page: input.page });
  const now = new Date();
  const when = clock(context.services.config.support.timeZone);
  const tabs = [
    { view: 'mine', label: 'Mine', count: result.counts.mine },
    { view: 'unassigned', label: 'Unassigned', count: result.counts.unassigned },
    { view: 'all', label: 'All', count: result.counts.all },
    ...result.counts.byQueue.map((q) => ({ view: q.id, label: q.name, count: q.open })),
  ];
  return {
    view: result.view,
    viewLabel: tabs.find((t) => t.view === result.view)?.label ?? 'All',
    page: result.page,
    pages: result.pages,
    total: result.total,
    tabs,
    available: result.agent?.available ?? false,
    load: result.agent ? { open: result.agent.openCount, capacity: result.agent.capacity } : null,
    rows: result.rows.map((r) => ({
      id: r.id,
      number: r.number,
      about: [categoryLabels[r.category] ?? r.category, subtypeWords(r.subtype)].filter(Boolean).join(': '),
      channel: channelLabels[r.channel] ?? r.channel,
      status: statusLabels[r.status] ?? r.status,
      priority: priorityLabels[r.priority] ?? r.priority,
      urgent: r.priority === 'urgent',
      queue: tabs.find((t) => t.view === r.queueId)?.label ?? r.queueId,
      assignee: r.assigneeEmail,
      created: when(r.createdAt),
      firstResponse: r.firstRespondedAt ? 'answered' : (due(r.firstResponseDueAt, now, when) ?? 'no clock'),
      late: r.firstResponseBreached || r.resolutionBreached,
      paused: r.slaPaused,
      safetyFlag: r.safetyFlag,
    })),
  };
}

export async function ticketPage(
  context: AppLoadContext,
  viewer: { id: string; role: StaffRole },
  ticketId: string,
) {
  const view = await deskFor(context).view({ viewer, ticketId });
  if (!view) return null;
  const { ticket, patient, contact } = view;
  const now = new Date();
  const when = clock(context.services.config.support.timeZone);
  const stamp = (at: Date | null) => (at ? when(at) : null);

  const firstResponse = ticket.firstRespondedAt
    ? `answered ${stamp(ticket.firstRespondedAt)}`
    : ticket.firstResponseDueAt
      ? `${due(ticket.firstResponseDueAt, now, when)}${ticket.firstResponseBreachedAt ? ' — late' : ''}`
      : 'no clock';
  const resolution =
    ticket.status === 'solved' || ticket.status === 'closed' || ticket.status === 'merged'
      ? ticket.solvedAt
        ? `solved ${stamp(ticket.solvedAt)}`
        : 'stopped'
      : ticket.slaPausedAt
        ? `paused since ${stamp(ticket.slaPausedAt)} while we wait for the patient (it was ${due(ticket.resolutionDueAt, ticket.slaPausedAt, when)})`
        : ticket.resolutionDueAt
          ? `${due(ticket.resolutionDueAt, now, when)}${ticket.resolutionBreachedAt ? ' — late' : ''}`
          : 'no clock';

  const live = ticket.status === 'open' || ticket.status === 'waiting_on_patient';
  return {
    ticket: {
      id: ticket.id,
      number: ticket.number,
      status: ticket.status,
      statusLabel: statusLabels[ticket.status] ?? ticket.status,
      priority: priorityLabels[ticket.priority] ?? ticket.priority,
      urgent: ticket.priority === 'urgent',
      about: [categoryLabels[ticket.category] ?? ticket.category, subtypeWords(ticket.subtype)]
        .filter(Boolean)
        .join(': '),
      channel: channelLabels[ticket.channel] ?? ticket.channel,
      language: ticket.locale === 'es' ? 'Spanish' : 'English',
      tags: ticket.tags,
      queue: ticket.queueName,
      assignee: ticket.assignee?.email ?? null,
      assignedToMe: ticket.assignee?.id === viewer.id,
      created: when(ticket.createdAt),
      firstResponse,
      resolution,
      safetyFlag: ticket.safetyFlag,
      safetyAbout: ticket.safetyKinds.map((k) => safetyKindLabels[k] ?? k.replace(/_/g, ' ')),
      mergedInto: ticket.mergedInto,
      mergedFrom: ticket.mergedFrom,
      hasPatient: ticket.hasPatient,
      live,
    },
    masked: view.masked,
    can: {
      reply: !view.masked && ticket.status !== 'closed' && ticket.status !== 'merged',
      note: true,
      changeStatus: ticket.status !== 'merged',
      closeFlagged: may(viewer.role, roles.closeSafetyTickets),
      merge: ticket.status !== 'merged',
      assign: live,
      assignToMe: live && !ticket.assignee && (!view.clinical || may(viewer.role, roles.readClinicalTickets)),
      macros: ticket.hasPatient,
      openPatient: may(viewer.role, roles.viewPatientIdentity),
    },
    thread: view.thread.map((m) => ({
      id: m.id,
      from:
        m.authorType === 'patient'
          ? 'Patient'
          : m.authorType === 'system'
            ? m.kind === 'safety_answer'
              ? 'Automatic safety answer'
              : m.staffEmail
                ? `Event (${m.staffEmail})`
                : 'Event'
            : m.kind === 'note'
              ? `Internal note by ${m.staffEmail ?? 'staff'}`
              : `Reply by ${m.staffEmail ?? 'staff'}`,
      kind: m.kind,
      authorType: m.authorType,
      via: channelLabels[m.channel] ?? m.channel,
      at: when(m.createdAt),
      masked: m.masked,
      text: m.text,
    })),
    macros: ticket.hasPatient
      ? macroNames
          .filter((m) => m !== 'unlock_sign_in' || may(viewer.role, roles.liftSignInLock))
          .map((name) => ({ name, label: macroLabels[name] }))
      : [],
    patient: patient
      ? {
          id: patient.id,
          name: patient.name,
          state: patient.state,
          cohort: patient.cohort,
          email: patient.email,
          phone: patient.phone,
          lockedUntil:
            patient.signInLockedUntil && patient.signInLockedUntil > now
              ? when(patient.signInLockedUntil)
              : null,
          timeline: patient.timeline.map((t) => ({ at: when(t.at), what: t.what, detail: t.detail })),
          waveMessages: patient.waveMessages.map((w) => ({
            wave: w.wave,
            channel: w.channel === 'sms' ? 'text' : 'email',
            state: w.state,
            at: when(w.at),
          })),
        }
      : null,
    contact,
  };
}
