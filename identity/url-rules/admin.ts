// What the staff page for URL rules does: add, delete, list, and "test a path". Each change is audited;
// the caller reloads the router after a change (`router.reload()`), so it takes effect at once.
import { and, asc, eq, sql } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import type { CohortPhase } from '../../db/schema/cohorts.ts';
import { urlRules, type UrlRule } from '../../db/schema/index.ts';
import type { Actor } from '../staff/staff-service.ts';
import type { RouteExplanation, UrlRouter } from './router.ts';
import { validateRule, type RuleKind, type UrlRuleInput } from './rules.ts';

export type AddRuleResult =
  | { ok: true; rule: UrlRule }
  | { ok: false; reason: 'invalid'; problems: string[] }
  | { ok: false; reason: 'duplicate'; existing: UrlRule };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Adds one rule. A new pattern goes after the existing ones unless a position is given; a rule for a
 * source and `when` that already has one is refused (delete it first, or import with the file).
 */
export async function addRule(db: Db, input: UrlRuleInput, actor: Actor): Promise<AddRuleResult> {
  const checked = validateRule(input);
  if (!checked.ok) return { ok: false, reason: 'invalid', problems: checked.problems };
  const rule = checked.rule;
  return db.transaction(async (tx) => {
    let position = rule.position ?? 0;
    if (rule.kind === 'pattern' && rule.position === undefined) {
      const [last] = await tx
        .select({ max: sql<number | null>`max(${urlRules.position})` })
        .from(urlRules)
        .where(eq(urlRules.kind, 'pattern'));
      position = (last?.max ?? 0) + 10;
    }
    const [row] = await tx
      .insert(urlRules)
      .values({
        kind: rule.kind,
        source: rule.source,
        target: rule.target,
        when: rule.when,
        status: rule.status,
        position: rule.kind === 'pattern' ? position : 0,
        note: rule.note,
        createdBy: actor.id ?? actor.type,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [existing] = await tx
        .select()
        .from(urlRules)
        .where(and(eq(urlRules.source, rule.source), eq(urlRules.when, rule.when)));
      return { ok: false, reason: 'duplicate', existing: existing! } as const;
    }
    await appendAudit(tx, {
      action: 'url_rule.added',
      actorType: actor.type,
      actorId: actor.id ?? null,
      subjectType: 'url_rule',
      subjectId: row.id,
      data: { kind: row.kind, source: row.source, target: row.target, when: row.when, status: row.status },
    });
    return { ok: true, rule: row } as const;
  });
}

export type DeleteRuleResult = { ok: true; rule: UrlRule } | { ok: false; reason: 'not_found' };

export async function deleteRule(db: Db, id: string, actor: Actor): Promise<DeleteRuleResult> {
  if (!UUID.test(id)) return { ok: false, reason: 'not_found' };
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(urlRules).where(eq(urlRules.id, id)).returning();
    if (!row) return { ok: false, reason: 'not_found' } as const;
    await appendAudit(tx, {
      action: 'url_rule.deleted',
      actorType: actor.type,
      actorId: actor.id ?? null,
      subjectType: 'url_rule',
      subjectId: row.id,
      data: { kind: row.kind, source: row.source, target: row.target, when: row.when, status: row.status },
    });
    return { ok: true, rule: row } as const;
  });
}

/** Rules for the staff page: patterns in the order they are tried, then by source. */
export async function listRules(
  db: Db,
  options: { kind?: RuleKind; limit: number; offset?: number },
): Promise<UrlRule[]> {
  return db
    .select()
    .from(urlRules)
    .where(options.kind ? eq(urlRules.kind, options.kind) : undefined)
    .orderBy(asc(urlRules.kind), asc(urlRules.position), asc(urlRules.source), asc(urlRules.when))
    .limit(Math.max(1, Math.min(options.limit, 1000)))
    .offset(Math.max(0, options.offset ?? 0));
}

export interface RuleTest extends RouteExplanation {
  /** The path and query string tested, as typed. */
  tested: string;
}

/**
 * The "test a path" box: what a GET of `path` (a query string may follow) would get, for an anonymous
 * visitor (`patientPhase` null) or a patient whose cohort is in that phase. Nothing is counted.
 */
export async function testRule(
  router: UrlRouter,
  path: string,
  patientPhase: CohortPhase | null,
  options: { final?: boolean; method?: string } = {},
): Promise<RuleTest> {
  const typed = path.trim();
  const question = typed.indexOf('?');
  const explanation = await router.explain({
    path: question === -1 ? typed : typed.slice(0, question),
    search: question === -1 ? '' : typed.slice(question),
    method: options.method ?? 'GET',
    patient:
      patientPhase === null ? null : { cohortPhase: patientPhase, cohortFinal: options.final ?? false },
    hops: 0,
  });
  return { ...explanation, tested: typed };
}
