// Routing rules: ordered conditions over what a ticket is and who sent it, and what to do when they
// hold (queue, priority, tags). The first enabled rule that matches decides; no match goes to the
// general queue. Pure, so the admin page's dry run and intake give the same answer.
import { z } from 'zod';

export const ticketCategories = ['sign_in', 'refill', 'billing', 'appointment', 'other'] as const;
export const ticketChannels = ['web', 'sms', 'email'] as const;
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;
/** A patient's migration state, or `unknown` when the sender is not tied to a patient. */
export const routingPatientStates = [
  'imported',
  'notified',
  'bridged',
  'active',
  'locked',
  'closed',
  'unknown',
] as const;
export const routingCohortPhases = ['pending', 'pilot', 'migrating', 'cut_over', 'rolled_back'] as const;

export type TicketCategoryName = (typeof ticketCategories)[number];
export type TicketPriorityName = (typeof ticketPriorities)[number];

const words = z
  .array(z.string().trim().min(2).max(60))
  .max(50)
  .transform((list) => list.map(normalizeWords));

export const routingConditions = z
  .object({
    categories: z.array(z.enum(ticketCategories)).min(1).optional(),
    subtypes: z.array(z.string().trim().min(1).max(40)).min(1).optional(),
    patientStates: z.array(z.enum(routingPatientStates)).min(1).optional(),
    /** Cohort names. */
    cohorts: z.array(z.string().trim().min(1).max(100)).min(1).optional(),
    cohortPhases: z.array(z.enum(routingCohortPhases)).min(1).optional(),
    channels: z.array(z.enum(ticketChannels)).min(1).optional(),
    languages: z
      .array(z.enum(['en', 'es']))
      .min(1)
      .optional(),
    /** Any of these words or phrases in the message (accents and case ignored). */
    words: words.pipe(z.array(z.string()).min(1)).optional(),
  })
  .strict();

export const routingActions = z
  .object({
    queue: z.string().trim().min(1).max(40),
    priority: z.enum(ticketPriorities).optional(),
    tags: z
      .array(
        z
          .string()
          .trim()
          .regex(/^[a-z0-9_-]{1,40}$/, 'tags are lower-case words'),
      )
      .max(10)
      .optional(),
  })
  .strict();

export type RoutingConditions = z.output<typeof routingConditions>;
export type RoutingActions = z.output<typeof routingActions>;

export interface RoutingRule {
  id: string;
  position: number;
  name: string;
  enabled: boolean;
  conditions: RoutingConditions;
  actions: RoutingActions;
}

/** What routing reads about a ticket at intake. */
export interface RoutingFacts {
  category: TicketCategoryName;
  subtype: string | null;
  patientState: (typeof routingPatientStates)[number];
  cohort: string | null;
  cohortPhase: (typeof routingCohortPhases)[number] | null;
  channel: (typeof ticketChannels)[number];
  language: 'en' | 'es';
  text: string;
}

export interface RoutingDecision {
  queue: string;
  priority: TicketPriorityName;
  tags: string[];
  /** The rule that decided, or null for the fallback. */
  ruleId: string | null;
  ruleName: string | null;
}

export type ConditionName = keyof RoutingConditions;

export interface RuleTrace {
  ruleId: string;
  name: string;
  /** null when the rule matched (or was skipped because it is off: see `enabled`). */
  failed: ConditionName | null;
  enabled: boolean;
}

export const FALLBACK_QUEUE = 'general';

/** Lower case, no accents, words separated by single spaces: the form both sides are compared in. */
export function normalizeWords(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function containsPhrase(haystack: string, phrase: string): boolean {
  return ` ${haystack} `.includes(` ${phrase} `);
}

/** The first condition of a rule that does not hold for these facts, or null when all hold. */
export function failedCondition(conditions: RoutingConditions, facts: RoutingFacts): ConditionName | null {
  const c = conditions;
  if (c.categories && !c.categories.includes(facts.category)) return 'categories';
  if (c.subtypes && !(facts.subtype && c.subtypes.includes(facts.subtype))) return 'subtypes';
  if (c.patientStates && !c.patientStates.includes(facts.patientState)) return 'patientStates';
  if (c.cohorts && !(facts.cohort && c.cohorts.some((n) => n.toLowerCase() === facts.cohort!.toLowerCase())))
    return 'cohorts';
  if (c.cohortPhases && !(facts.cohortPhase && c.cohortPhases.includes(facts.cohortPhase)))
    return 'cohortPhases';
  if (c.channels && !c.channels.includes(facts.channel)) return 'channels';
  if (c.languages && !c.languages.includes(facts.language)) return 'languages';
  if (c.words) {
    const text = normalizeWords(facts.text);
    if (!c.words.some((w) => containsPhrase(text, w))) return 'words';
  }
  return null;
}

/** Routes a ticket and says, rule by rule, why each earlier one did not decide (the dry run shows it). */
export function routeWithTrace(
  rules: readonly RoutingRule[],
  facts: RoutingFacts,
): { decision: RoutingDecision; trace: RuleTrace[] } {
  const trace: RuleTrace[] = [];
  const ordered = [...rules].sort((a, b) => a.position - b.position);
  for (const rule of ordered) {
    if (!rule.enabled) {
      trace.push({ ruleId: rule.id, name: rule.name, failed: null, enabled: false });
      continue;
    }
    const failed = failedCondition(rule.conditions, facts);
    trace.push({ ruleId: rule.id, name: rule.name, failed, enabled: true });
    if (failed === null)
      return {
        decision: {
          queue: rule.actions.queue,
          priority: rule.actions.priority ?? 'normal',
          tags: rule.actions.tags ?? [],
          ruleId: rule.id,
          ruleName: rule.name,
        },
        trace,
      };
  }
  return {
    decision: { queue: FALLBACK_QUEUE, priority: 'normal', tags: [], ruleId: null, ruleName: null },
    trace,
  };
}

/** Plain words for a condition, for the rules page. */
export const conditionLabels: Record<ConditionName, string> = {
  categories: 'category',
  subtypes: 'subtype',
  patientStates: "patient's migration state",
  cohorts: 'cohort',
  cohortPhases: "cohort's phase",
  channels: 'channel',
  languages: 'language',
  words: 'words in the message',
};

/** What a patient can pick under each category on the help page (routing rules may name them). */
export const ticketSubtypes: Record<TicketCategoryName, readonly string[]> = {
  sign_in: ['forgot_password', 'no_link_or_code', 'locked_out', 'new_platform'],
  refill: ['status', 'new_request', 'pharmacy'],
  billing: ['charge', 'insurance', 'receipt'],
  appointment: ['reschedule', 'join_visit', 'cancel'],
  other: [],
};
