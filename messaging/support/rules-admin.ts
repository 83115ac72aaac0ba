// What the support rules page does: list the routing rules in order, add or edit one from a form, move,
// switch off and delete them (each change audited, then the caller's onChange drops intake's cached
// rules), and dry-run a request through the safety screen, the rules and the SLA clocks. It also
// answers "what would the current rules have done with last week's tickets?".
import { and, asc, desc, eq, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import {
  cohorts,
  patients,
  routingRules,
  slaPolicies,
  supportQueues,
  ticketMessages,
  tickets,
  type SupportQueue,
} from '../../db/schema/index.ts';
import type { FieldCipher } from '../../identity/encryption.ts';
import type { BusinessHours } from './business-hours.ts';
import {
  conditionLabels,
  FALLBACK_QUEUE,
  routeWithTrace,
  routingActions,
  routingCohortPhases,
  routingConditions,
  routingPatientStates,
  ticketCategories,
  ticketChannels,
  ticketPriorities,
  ticketSubtypes,
  type ConditionName,
  type RoutingConditions,
  type RoutingDecision,
  type RoutingFacts,
  type RoutingRule,
} from './routing.ts';
import { screenForSafety, type SafetyVerdict } from './safety-screen.ts';
import { calendarFor, choosePolicy, startClocks } from './sla.ts';

/** The staff member making the change; audited as actorType 'staff'. */
export interface RuleActor {
  id: string;
}

/** Called after a change commits (the route passes `support.intake.invalidate`). */
export type OnRulesChange = () => void;

export interface RuleList {
  rules: (RoutingRule & { updatedAt: Date })[];
  /** Stored rules whose conditions or actions no longer parse: intake skips them; the page says so. */
  unreadable: { id: string; name: string; position: number }[];
  queues: SupportQueue[];
}

const CLINICAL_QUEUE = 'clinical';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listRules(db: Db): Promise<RuleList> {
  const [rows, queues] = await Promise.all([
    db.select().from(routingRules).orderBy(asc(routingRules.position)),
    db.select().from(supportQueues).orderBy(asc(supportQueues.position), asc(supportQueues.id)),
  ]);
  const rules: RuleList['rules'] = [];
  const unreadable: RuleList['unreadable'] = [];
  for (const row of rows) {
    const conditions = routingConditions.safeParse(row.conditions);
    const actions = routingActions.safeParse(row.actions);
    if (conditions.success && actions.success)
      rules.push({
        id: row.id,
        position: row.position,
        name: row.name,
        enabled: row.enabled,
        conditions: conditions.data,
        actions: actions.data,
        updatedAt: row.updatedAt,
      });
    else unreadable.push({ id: row.id, name: row.name, position: row.position });
  }
  return { rules, unreadable, queues };
}

// ---------------------------------------------------------------------------------------------------
// The form

/** Condition fields in the order the page shows them (and routing checks them). */
export const conditionFields = [
  'categories',
  'subtypes',
  'patientStates',
  'cohorts',
  'cohortPhases',
  'channels',
  'languages',
  'words',
] as const satisfies readonly ConditionName[];

const listText = z.string().max(2_000).optional();

/** The rule form as the page posts it: each condition a comma- or line-separated list. */
export const ruleForm = z.object({
  id: z.string().optional(),
  name: z.string().max(500),
  /** Empty: after the last rule. */
  position: z.union([z.string(), z.number()]).optional(),
  enabled: z.boolean().optional(),
  categories: listText,
  subtypes: listText,
  patientStates: listText,
  cohorts: listText,
  cohortPhases: listText,
  channels: listText,
  languages: listText,
  words: listText,
  queue: z.string().max(200),
  priority: z.string().max(20).optional(),
  tags: listText,
});

export type RuleFormInput = z.input<typeof ruleForm>;
export type RuleFormField = keyof RuleFormInput;

export type SaveRuleResult =
  | { ok: true; rule: RoutingRule; created: boolean }
  | { ok: false; errors: Partial<Record<RuleFormField, string>> }
  | { ok: false; reason: 'not_found' };

/** Splits "a, b" or one item a line; an empty item in the middle ("a,,b") is reported, not dropped. */
function splitList(text: string | undefined): { items: string[]; emptyItem: boolean } | null {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return null;
  const parts = trimmed.split(/\s*(?:,|\r?\n)\s*/);
  // A trailing comma at the end of the field is harmless; empty items between others are a mistake.
  const withoutTrailing = parts.at(-1) === '' ? parts.slice(0, -1) : parts;
  return {
    items: withoutTrailing.map((p) => p.trim()),
    emptyItem: withoutTrailing.some((p) => p.trim() === ''),
  };
}

const knownSubtypes = [...new Set(Object.values(ticketSubtypes).flat())];

const listLabels: Record<(typeof conditionFields)[number] | 'tags', string> = {
  categories: 'categories',
  subtypes: 'subtypes',
  patientStates: 'migration states',
  cohorts: 'cohorts',
  cohortPhases: 'cohort phases',
  channels: 'channels',
  languages: 'languages',
  words: 'words',
  tags: 'tags',
};

const allowedValues: Partial<Record<(typeof conditionFields)[number], readonly string[]>> = {
  categories: ticketCategories,
  subtypes: knownSubtypes,
  patientStates: routingPatientStates,
  cohortPhases: routingCohortPhases,
  channels: ticketChannels,
  languages: ['en', 'es'],
};

/** Checks the form against the queues and cohorts that exist; plain-English errors per field. */
async function checkForm(
  db: Db,
  input: z.output<typeof ruleForm>,
): Promise<
  | {
      ok: true;
      name: string;
      position: number | null;
      conditions: RoutingConditions;
      actions: RoutingRule['actions'];
    }
  | { ok: false; errors: Partial<Record<RuleFormField, string>> }
> {
  const errors: Partial<Record<RuleFormField, string>> = {};
  const name = input.name.trim();
  if (name === '') errors.name = 'Give the rule a name, so people know what it is for.';
  else if (name.length > 120) errors.name = 'Keep the name under 120 characters.';

  let position: number | null = null;
  const positionText = String(input.position ?? '').trim();
  if (positionText !== '') {
    if (!/^\d{1,6}$/.test(positionText) || Number(positionText) < 1)
      errors.position = 'The position is a whole number from 1 up, like 15 to go between 10 and 20.';
    else position = Number(positionText);
  }

  const raw: Record<string, string[]> = {};
  for (const field of conditionFields) {
    const list = splitList(input[field]);
    if (!list) continue;
    const label = listLabels[field];
    if (list.emptyItem) {
      errors[field] = `The list of ${label} has an empty item: remove the extra comma or blank line.`;
      continue;
    }
    if (list.items.length > 50) {
      errors[field] = `List at most 50 ${label}.`;
      continue;
    }
    const allowed = allowedValues[field];
    if (allowed) {
      const unknown = list.items.filter((item) => !allowed.includes(item));
      if (unknown.length) {
        errors[field] =
          `${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the ` +
          `${label} routing knows. Use any of: ${allowed.join(', ')}.`;
        continue;
      }
    }
    if (field === 'words') {
      const short = list.items.find((w) => w.length < 2 || w.length > 60);
      if (short !== undefined) {
        errors.words = `Each word or phrase needs 2 to 60 letters ("${short}" does not).`;
        continue;
      }
    }
    raw[field] = [...new Set(list.items)];
  }
  if (raw.cohorts) {
    const names = await db.select({ name: cohorts.name }).from(cohorts);
    const known = new Set(names.map((n) => n.name.toLowerCase()));
    const unknown = raw.cohorts.filter((c) => !known.has(c.toLowerCase()));
    if (unknown.length)
      errors.cohorts = `There is no cohort named ${unknown.map((u) => `"${u}"`).join(', ')}. Check the spelling on the cohorts page.`;
  }
  const anyError = conditionFields.some((f) => errors[f]);
  if (!anyError && Object.keys(raw).length === 0)
    errors.categories =
      'Give the rule at least one condition (a category, a channel, words…). Requests no rule matches already go to the general queue.';

  const queue = input.queue.trim();
  if (queue === '') errors.queue = 'Choose the queue these requests go to.';
  else {
    const [exists] = await db
      .select({ id: supportQueues.id })
      .from(supportQueues)
      .where(eq(supportQueues.id, queue));
    if (!exists) errors.queue = `There is no queue "${queue}". Choose one of the queues listed.`;
  }
  const priority = (input.priority ?? '').trim();
  if (priority !== '' && !(ticketPriorities as readonly string[]).includes(priority))
    errors.priority = `The priority is one of: ${ticketPriorities.join(', ')}.`;
  const tagList = splitList(input.tags);
  if (tagList?.emptyItem) errors.tags = 'The list of tags has an empty item: remove the extra comma.';
  else if (tagList && tagList.items.length > 10) errors.tags = 'Add at most 10 tags.';
  else if (tagList?.items.some((t) => !/^[a-z0-9_-]{1,40}$/.test(t)))
    errors.tags = 'Tags are short lower-case words with no spaces, like sign_in or cutover.';

  if (Object.keys(errors).length) return { ok: false, errors };

  // The same schemas intake reads the rule back with: what is saved is what routes.
  const conditions = routingConditions.safeParse(raw);
  const actions = routingActions.safeParse({
    queue,
    ...(priority ? { priority } : {}),
    ...(tagList ? { tags: [...new Set(tagList.items)] } : {}),
  });
  if (!conditions.success) {
    const field = (conditions.error.issues[0]?.path[0] ?? 'categories') as RuleFormField;
    return { ok: false, errors: { [field]: 'We could not read this list. Check each item.' } };
  }
  if (!actions.success) {
    const field = (actions.error.issues[0]?.path[0] ?? 'queue') as RuleFormField;
    return { ok: false, errors: { [field]: 'We could not read this. Check it.' } };
  }
  return { ok: true, name, position, conditions: conditions.data, actions: actions.data };
}

/** Creates a rule (no id) or replaces one (id); positions are unique, so a taken one is refused. */
export async function saveRule(
  db: Db,
  actor: RuleActor,
  input: RuleFormInput,
  onChange?: OnRulesChange,
): Promise<SaveRuleResult> {
  const shape = ruleForm.safeParse(input);
  if (!shape.success) return { ok: false, errors: { name: 'That form was not complete. Reload the page.' } };
  const form = shape.data;
  const id = form.id?.trim() || null;
  if (id !== null && !UUID.test(id)) return { ok: false, reason: 'not_found' };
  const checked = await checkForm(db, form);
  if (!checked.ok) return checked;

  const outcome = await db.transaction(async (tx) => {
    // One editor at a time decides positions: a concurrent save or move waits here.
    await tx.execute(sql`LOCK TABLE routing_rules IN SHARE ROW EXCLUSIVE MODE`);
    let existing: typeof routingRules.$inferSelect | undefined;
    if (id) {
      [existing] = await tx.select().from(routingRules).where(eq(routingRules.id, id));
      if (!existing) return { ok: false, reason: 'not_found' } as const;
    }
    let position = checked.position ?? existing?.position ?? null;
    if (position === null) {
      const [last] = await tx
        .select({ max: sql<number | null>`max(${routingRules.position})` })
        .from(routingRules);
      position = Math.floor((last?.max ?? 0) / 10) * 10 + 10;
    }
    const [taken] = await tx
      .select({ id: routingRules.id, name: routingRules.name })
      .from(routingRules)
      .where(
        id
          ? and(eq(routingRules.position, position), ne(routingRules.id, id))
          : eq(routingRules.position, position),
      );
    if (taken)
      return {
        ok: false,
        errors: {
          position: `Position ${position} is already the rule "${taken.name}". Pick a free number, like ${position + 5}.`,
        },
      } as const;
    const values = {
      position,
      name: checked.name,
      enabled: form.enabled ?? existing?.enabled ?? true,
      conditions: checked.conditions,
      actions: checked.actions,
      updatedBy: actor.id,
      updatedAt: new Date(),
    };
    const [row] = existing
      ? await tx.update(routingRules).set(values).where(eq(routingRules.id, existing.id)).returning()
      : await tx.insert(routingRules).values(values).returning();
    await appendAudit(tx, {
      action: 'support.rule_saved',
      actorType: 'staff',
      actorId: actor.id,
      subjectType: 'routing_rule',
      subjectId: row!.id,
      data: {
        created: !existing,
        name: row!.name,
        position: row!.position,
        enabled: row!.enabled,
        conditions: checked.conditions,
        actions: checked.actions,
        ...(existing
          ? {
              before: {
                position: existing.position,
                conditions: existing.conditions,
                actions: existing.actions,
              },
            }
          : {}),
      },
    });
    return {
      ok: true,
      created: !existing,
      rule: {
        id: row!.id,
        position: row!.position,
        name: row!.name,
        enabled: row!.enabled,
        conditions: checked.conditions,
        actions: checked.actions,
      },
    } as const;
  });
  if (outcome.ok) onChange?.();
  return outcome;
}

export type RuleChangeResult = { ok: true } | { ok: false; reason: 'not_found' | 'at_edge' };

/** Swaps a rule with its neighbour above or below, through a temporary negative position. */
export async function moveRule(
  db: Db,
  actor: RuleActor,
  id: string,
  direction: 'up' | 'down',
  onChange?: OnRulesChange,
): Promise<RuleChangeResult> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  const outcome = await db.transaction(async (tx) => {
    await tx.execute(sql`LOCK TABLE routing_rules IN SHARE ROW EXCLUSIVE MODE`);
    const [rule] = await tx.select().from(routingRules).where(eq(routingRules.id, id));
    if (!rule) return { ok: false, reason: 'not_found' } as const;
    const [neighbour] = await tx
      .select()
      .from(routingRules)
      .where(
        direction === 'up'
          ? lt(routingRules.position, rule.position)
          : sql`${routingRules.position} > ${rule.position}`,
      )
      .orderBy(direction === 'up' ? desc(routingRules.position) : asc(routingRules.position))
      .limit(1);
    if (!neighbour) return { ok: false, reason: 'at_edge' } as const;
    const at = new Date();
    // Positions are unique: park the rule on a negative one while its neighbour takes its place.
    await tx
      .update(routingRules)
      .set({ position: -1 - rule.position })
      .where(eq(routingRules.id, rule.id));
    await tx
      .update(routingRules)
      .set({ position: rule.position, updatedBy: actor.id, updatedAt: at })
      .where(eq(routingRules.id, neighbour.id));
    await tx
      .update(routingRules)
      .set({ position: neighbour.position, updatedBy: actor.id, updatedAt: at })
      .where(eq(routingRules.id, rule.id));
    await appendAudit(tx, {
      action: 'support.rule_moved',
      actorType: 'staff',
      actorId: actor.id,
      subjectType: 'routing_rule',
      subjectId: rule.id,
      data: {
        name: rule.name,
        direction,
        from: rule.position,
        to: neighbour.position,
        swappedWith: { id: neighbour.id, name: neighbour.name },
      },
    });
    return { ok: true } as const;
  });
  if (outcome.ok) onChange?.();
  return outcome;
}

export async function deleteRule(
  db: Db,
  actor: RuleActor,
  id: string,
  onChange?: OnRulesChange,
): Promise<RuleChangeResult | { ok: true; name: string }> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  const outcome = await db.transaction(async (tx) => {
    const [row] = await tx.delete(routingRules).where(eq(routingRules.id, id)).returning();
    if (!row) return { ok: false, reason: 'not_found' } as const;
    await appendAudit(tx, {
      action: 'support.rule_deleted',
      actorType: 'staff',
      actorId: actor.id,
      subjectType: 'routing_rule',
      subjectId: row.id,
      data: { name: row.name, position: row.position, conditions: row.conditions, actions: row.actions },
    });
    return { ok: true, name: row.name } as const;
  });
  if (outcome.ok) onChange?.();
  return outcome;
}

export async function setEnabled(
  db: Db,
  actor: RuleActor,
  id: string,
  enabled: boolean,
  onChange?: OnRulesChange,
): Promise<RuleChangeResult> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  const outcome = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(routingRules)
      .set({ enabled, updatedBy: actor.id, updatedAt: new Date() })
      .where(eq(routingRules.id, id))
      .returning();
    if (!row) return { ok: false, reason: 'not_found' } as const;
    await appendAudit(tx, {
      action: enabled ? 'support.rule_enabled' : 'support.rule_disabled',
      actorType: 'staff',
      actorId: actor.id,
      subjectType: 'routing_rule',
      subjectId: row.id,
      data: { name: row.name, position: row.position },
    });
    return { ok: true } as const;
  });
  if (outcome.ok) onChange?.();
  return outcome;
}

// ---------------------------------------------------------------------------------------------------
// Words for the page

const valueWords: Record<string, string> = {
  sign_in: "can't sign in",
  refill: 'refill',
  billing: 'billing',
  appointment: 'appointment',
  other: 'other',
  web: 'help page',
  sms: 'text message',
  email: 'email',
  en: 'English',
  es: 'Spanish',
  cut_over: 'cut over',
  rolled_back: 'rolled back',
};

function orList(values: readonly string[], quote = false): string {
  const words = values.map((v) => (quote ? `"${v}"` : (valueWords[v] ?? v.replace(/_/g, ' '))));
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** "category is refill", "words in the message include "refill" or "farmacia"", one per condition. */
export function describeConditions(conditions: RoutingConditions): string[] {
  const out: string[] = [];
  for (const field of conditionFields) {
    const values = conditions[field];
    if (!values) continue;
    out.push(
      field === 'words'
        ? `${conditionLabels.words} include ${orList(values, true)}`
        : `${conditionLabels[field]} is ${orList(values)}`,
    );
  }
  return out;
}

/** The form's starting values for an existing rule (lists as "a, b"). */
export function formValuesOf(rule: RoutingRule): Record<RuleFormField, string> {
  const list = (v: readonly string[] | undefined) => (v ?? []).join(', ');
  return {
    id: rule.id,
    name: rule.name,
    position: String(rule.position),
    enabled: rule.enabled ? 'on' : '',
    categories: list(rule.conditions.categories),
    subtypes: list(rule.conditions.subtypes),
    patientStates: list(rule.conditions.patientStates),
    cohorts: list(rule.conditions.cohorts),
    cohortPhases: list(rule.conditions.cohortPhases),
    channels: list(rule.conditions.channels),
    languages: list(rule.conditions.languages),
    words: list(rule.conditions.words),
    queue: rule.actions.queue,
    priority: rule.actions.priority ?? '',
    tags: list(rule.actions.tags),
  };
}

// ---------------------------------------------------------------------------------------------------
// Dry run

export interface DryRunInput {
  category: RoutingFacts['category'];
  subtype: string | null;
  channel: RoutingFacts['channel'];
  language: RoutingFacts['language'];
  text: string;
  /** Look the sender up as this legacy patient (their state, cohort and its phase). */
  patientLegacyId?: string | null;
}

export const dryRunForm = z.object({
  category: z.enum(ticketCategories),
  subtype: z
    .string()
    .max(40)
    .optional()
    .transform((s) => s?.trim() || null),
  channel: z.enum(ticketChannels),
  language: z.enum(['en', 'es']),
  text: z.string().max(5_000),
  patientLegacyId: z
    .string()
    .max(200)
    .optional()
    .transform((s) => s?.trim() || null),
});

export interface DryRunSettings {
  businessHours: BusinessHours;
  /** When the request would arrive (for the SLA clocks); now by default. */
  at?: Date;
}

export interface DryRunStep {
  ruleId: string;
  position: number;
  name: string;
  enabled: boolean;
  /** 'matched', 'off' (skipped), 'failed' (with the condition), or 'not_reached' after the match. */
  outcome: 'matched' | 'failed' | 'off' | 'not_reached';
  failed: ConditionName | null;
  /** The failing condition in plain words ("category"). */
  failedLabel: string | null;
}

export interface DryRunResult {
  facts: RoutingFacts;
  /** null: no legacy id given; false: given but no such patient (facts say unknown). */
  patientFound: boolean | null;
  safety: SafetyVerdict;
  /** The safety screen takes it first: clinical queue, urgent, whatever the rules say. */
  safetyFirst: boolean;
  /** What the rules alone decide (shown even when the safety screen takes it). */
  decision: RoutingDecision;
  steps: DryRunStep[];
  /** Where it would really go. */
  outcome: {
    by: 'safety_screen' | 'rule' | 'fallback';
    queue: string;
    queueName: string;
    priority: RoutingDecision['priority'];
    tags: string[];
  };
  sla: {
    policyName: string;
    calendar: 'always' | 'business';
    firstResponseMinutes: number;
    resolutionMinutes: number;
    receivedAt: Date;
    firstResponseDueAt: Date;
    resolutionDueAt: Date;
    escalateAt: Date | null;
  } | null;
}

/** Runs a made-up request through the safety screen, the current rules and the SLA policies. */
export async function dryRun(db: Db, input: DryRunInput, settings: DryRunSettings): Promise<DryRunResult> {
  const { rules, queues } = await listRules(db);
  let patientFound: boolean | null = null;
  let who: Pick<RoutingFacts, 'patientState' | 'cohort' | 'cohortPhase'> = {
    patientState: 'unknown',
    cohort: null,
    cohortPhase: null,
  };
  const legacyId = input.patientLegacyId?.trim();
  if (legacyId) {
    const [row] = await db
      .select({ state: patients.state, cohort: cohorts.name, phase: cohorts.phase })
      .from(patients)
      .leftJoin(cohorts, eq(cohorts.id, patients.cohortId))
      .where(eq(patients.legacyId, legacyId))
      .limit(1);
    patientFound = Boolean(row);
    if (row) who = { patientState: row.state, cohort: row.cohort, cohortPhase: row.phase };
  }
  const facts: RoutingFacts = {
    category: input.category,
    subtype: input.subtype,
    channel: input.channel,
    language: input.language,
    text: input.text,
    ...who,
  };
  const safety = screenForSafety(input.text);
  const { decision, trace } = routeWithTrace(rules, facts);
  const positions = new Map(rules.map((r) => [r.id, r.position]));
  const steps: DryRunStep[] = rules.map((rule) => {
    const t = trace.find((x) => x.ruleId === rule.id);
    const outcome: DryRunStep['outcome'] = !t
      ? 'not_reached'
      : !t.enabled
        ? 'off'
        : t.failed
          ? 'failed'
          : 'matched';
    return {
      ruleId: rule.id,
      position: positions.get(rule.id)!,
      name: rule.name,
      enabled: rule.enabled,
      outcome,
      failed: t?.failed ?? null,
      failedLabel: t?.failed ? conditionLabels[t.failed] : null,
    };
  });
  const queueById = new Map(queues.map((q) => [q.id, q]));
  const routed = safety.hit
    ? { queue: CLINICAL_QUEUE, priority: 'urgent' as const, tags: ['safety'] }
    : decision;
  // As intake does: a rule naming a queue that was since removed lands in the general queue.
  const queue = queueById.has(routed.queue) ? routed.queue : FALLBACK_QUEUE;
  const at = settings.at ?? new Date();
  const policies = await db.select().from(slaPolicies);
  const policy = choosePolicy(policies, { category: input.category, priority: routed.priority });
  let sla: DryRunResult['sla'] = null;
  if (policy) {
    const calendar = calendarFor(policy, queueById.get(queue)?.clinical ?? false, settings.businessHours);
    const clocks = startClocks(policy, calendar, at);
    sla = {
      policyName: policy.name,
      calendar: calendar.kind,
      firstResponseMinutes: policy.firstResponseMinutes,
      resolutionMinutes: policy.resolutionMinutes,
      receivedAt: at,
      firstResponseDueAt: clocks.firstResponseDueAt,
      resolutionDueAt: clocks.resolutionDueAt,
      escalateAt: clocks.escalateAt,
    };
  }
  return {
    facts,
    patientFound,
    safety,
    safetyFirst: safety.hit,
    decision,
    steps,
    outcome: {
      by: safety.hit ? 'safety_screen' : decision.ruleId ? 'rule' : 'fallback',
      queue,
      queueName: queueById.get(queue)?.name ?? queue,
      priority: routed.priority,
      tags: routed.tags,
    },
    sla,
  };
}

export interface RecentDryRun {
  days: number;
  /** Tickets opened in the window (not merged, not taken by the safety screen). */
  considered: number;
  /** Of those, how many the current rules would put in another queue. */
  changed: number;
  /** Taken by the safety screen: they go to clinical whatever the rules say. */
  safety: number;
  moves: { from: string; to: string; tickets: number }[];
}

/**
 * Replays the last `days` days' tickets through `rules` with the facts frozen on each ticket (category,
 * subtype, channel, language, the patient's state at intake, the cohort). The first patient message is
 * decrypted only when a rule reads words and a cipher is given; otherwise word rules see no text.
 */
export async function dryRunRecent(
  db: Db,
  rules: readonly RoutingRule[],
  days = 7,
  options: { cipher?: FieldCipher; now?: Date } = {},
): Promise<RecentDryRun> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - days * 86_400_000);
  const rows = await db
    .select({
      id: tickets.id,
      queueId: tickets.queueId,
      category: tickets.category,
      subtype: tickets.subtype,
      channel: tickets.channel,
      locale: tickets.locale,
      state: tickets.patientStateAtIntake,
      safetyFlag: tickets.safetyFlag,
      cohort: cohorts.name,
      phase: cohorts.phase,
    })
    .from(tickets)
    .leftJoin(cohorts, eq(cohorts.id, tickets.cohortId))
    .where(and(gte(tickets.createdAt, since), lt(tickets.createdAt, now), ne(tickets.status, 'merged')));
  const queues = new Set((await db.select({ id: supportQueues.id }).from(supportQueues)).map((q) => q.id));
  const needsText = Boolean(options.cipher) && rules.some((r) => r.enabled && r.conditions.words);
  const texts = new Map<string, string>();
  const unsafe = rows.filter((r) => !r.safetyFlag);
  if (needsText && unsafe.length) {
    const firsts = await db
      .selectDistinctOn([ticketMessages.ticketId], {
        ticketId: ticketMessages.ticketId,
        body: ticketMessages.bodyEncrypted,
      })
      .from(ticketMessages)
      .where(
        and(
          inArray(
            ticketMessages.ticketId,
            unsafe.map((r) => r.id),
          ),
          eq(ticketMessages.authorType, 'patient'),
        ),
      )
      .orderBy(ticketMessages.ticketId, asc(ticketMessages.createdAt));
    for (const m of firsts) texts.set(m.ticketId, options.cipher!.decrypt(m.body));
  }
  const moves = new Map<string, number>();
  let changed = 0;
  for (const row of unsafe) {
    const state = (routingPatientStates as readonly string[]).includes(row.state ?? '')
      ? (row.state as RoutingFacts['patientState'])
      : 'unknown';
    const { decision } = routeWithTrace(rules, {
      category: row.category,
      subtype: row.subtype,
      channel: row.channel,
      language: row.locale,
      patientState: state,
      cohort: row.cohort,
      cohortPhase: row.phase,
      text: texts.get(row.id) ?? '',
    });
    const queue = queues.has(decision.queue) ? decision.queue : FALLBACK_QUEUE;
    if (queue !== row.queueId) {
      changed++;
      const key = `${row.queueId}\u0000${queue}`;
      moves.set(key, (moves.get(key) ?? 0) + 1);
    }
  }
  return {
    days,
    considered: unsafe.length,
    changed,
    safety: rows.length - unsafe.length,
    moves: [...moves.entries()]
      .map(([key, n]) => {
        const [from, to] = key.split('\u0000') as [string, string];
        return { from, to, tickets: n };
      })
      .sort((a, b) => b.tickets - a.tickets || a.from.localeCompare(b.from)),
  };
}
