// The preserved patient URL (DESIGN §4.4, issue 6): what the portal's catch-all answers for a legacy
// path. It knows no HTTP: the route passes the path, query string, method, the patient's cohort (or
// null) and the hop count, and renders the decision.
//
// Decisions, in the order they are taken:
// - Paths are normalised (paths.ts); one that could smuggle a host, a backslash or a control
//   character is refused: the friendly "not found" page, counted in `stats().refused`, logged without PHI.
// - Candidates are tried exact > pattern > prefix (longest first) (match.ts). For a patient, a
//   candidate applies when it has a rule for their side of the cutover or an `always` rule; the side-
//   specific rule wins. A candidate with no rule for their side is passed over for the next one.
// - Sides: `cut_over` is after the cutover; pending, pilot, migrating and rolled_back are before it, as
//   is a patient with no cohort. Pilot is "before": a pilot cohort tries the new platform through the
//   portal's own links while its records are still moving, so its old deep links keep opening the
//   legacy platform until the cohort is cut over; rollback is therefore the same answer as pilot.
// - An anonymous visitor whose first candidate depends on the cohort (a before/after rule), or whose
//   rule needs a patient (a crosswalk lookup: it would reveal a record's new id), signs in first and
//   resumes at the same path and query string.
// - A crosswalk miss sends the patient to the root of the platform the rule targets, temporarily, and
//   counts the legacy path as unmapped, so staff see which records the crosswalk lacks.
// - No rule: `unmapped`, counted by sanitised path (unmapped.ts) for staff's to-do list.
// - Redirects: the request's query string is kept (merged after the target's own); a redirect to a
//   platform carries `cw_hop=<n+1>`; a request already carrying `cw_hop` ≥ 2 gets `loop` instead of a
//   third redirect; a chain of redirects within this portal that comes back on itself is a loop too.
// - A `{self}` target whose path is the requested path is `serve` (the portal renders it).
// - Status: a rule's fixed status wins. Otherwise, while the patient's cohort is not final, 302 for
//   GET/HEAD and 307 for the rest, with `Cache-Control: no-store` (a rollback must reach every
//   browser); after the cohort's final cutover (phase cut_over and finalAt set), 308, cacheable for a
//   day by the browser only (`private, max-age=86400`). A crosswalk miss is always temporary.
// - `Vary: Cookie` whenever the answer could differ for another visitor: a rule without a fixed status
//   (the status follows the patient's cohort), a rule chosen by the cutover side, a crosswalk lookup.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import type { CohortPhase } from '../../db/schema/cohorts.ts';
import type { Logger } from '../../infra/logger.ts';
import { sanitizePath } from '../../infra/redact.ts';
import {
  createRuleSetBuilder,
  type CompiledRule,
  type RuleMatch,
  type RuleMatcher,
  type RuleSet,
} from './match.ts';
import { normalizePath, type PathRefusal } from './paths.ts';
import type { RedirectStatus, RuleKind, RuleWhen } from './rules.ts';
import {
  createCrosswalkLookup,
  isAllowedDestination,
  mergeQuery,
  platformBases,
  readHops,
  renderTarget,
  type PlatformBases,
} from './targets.ts';
import { createUnmappedRecorder, unmappedKey, type UnmappedRecorder } from './unmapped.ts';

export type RouteDecision =
  | { kind: 'redirect'; location: string; status: RedirectStatus; cacheControl: string; vary: string | null }
  | { kind: 'sign_in_first'; resumeTo: string }
  | { kind: 'serve' }
  | { kind: 'unmapped'; normalizedPath: string }
  | { kind: 'loop' };

export interface RoutePatient {
  cohortPhase: CohortPhase | null;
  /** The cohort's cutover is final (`finalAt` set): redirects may become permanent. */
  cohortFinal: boolean;
}

export interface RouteInput {
  /** The request path, as received (percent-encoded; a query string here is ignored). */
  path: string;
  /** The query string, with or without its `?` ('' for none). */
  search: string;
  method: string;
  patient: RoutePatient | null;
  /** Redirects so far (the request's `cw_hop`); the larger of this and the query string's is used. */
  hops: number;
}

/** Why the router decided what it did (the admin page's "test a path" box shows it). */
export type RouteDetail =
  | 'redirect'
  | 'served_here'
  | 'sign_in_needed'
  | 'no_rule'
  | 'crosswalk_miss'
  | 'loop'
  | 'self_loop'
  | PathRefusal
  | 'unsafe_value'
  | 'unsafe_target'
  | 'no_legacy_platform';

export interface RouteExplanation {
  decision: RouteDecision;
  detail: RouteDetail;
  /** The rule that decided, when one did. */
  rule: {
    id: string | null;
    kind: RuleKind;
    source: string;
    when: RuleWhen;
    target: string;
    status: RedirectStatus | null;
  } | null;
}

export interface UrlRouterStats {
  routed: number;
  redirects: number;
  served: number;
  signInFirst: number;
  unmapped: number;
  crosswalkMisses: number;
  loops: number;
  /** Requests refused as unsafe (a path or a rendered target that could leave the allowed hosts). */
  refused: number;
}

export interface UrlRouter {
  /** Loads every rule from the database and swaps the compiled set in; call after changes. */
  reload(): Promise<void>;
  route(input: RouteInput): Promise<RouteDecision>;
  /** What `route` would decide, and why, without counting anything. */
  explain(input: RouteInput): Promise<RouteExplanation>;
  stats(): Readonly<UrlRouterStats>;
  /** Rules compiled by the last reload (and rows skipped because they no longer validate). */
  readonly rules: { exact: number; prefix: number; pattern: number; skipped: number };
  /** Stops the timers and writes the unmapped counts still in memory. */
  close(): Promise<void>;
}

/** Temporary answers must never be kept: a rollback has to reach every browser at once. */
export const NO_STORE = 'no-store';
/** A permanent redirect, kept by the browser only, and for a day: a mistake does not last forever. */
export const PERMANENT_CACHE = 'private, max-age=86400';
const LOOP_AT_HOPS = 2;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;
const SELF_CHAIN_LIMIT = 5;
const PAGE_SIZE = 20_000;

export type CutoverSide = 'before' | 'after';

/** Which side of its cohort's cutover a patient is on (see the top of this file for pilot). */
export function cutoverSide(phase: CohortPhase | null): CutoverSide {
  return phase === 'cut_over' ? 'after' : 'before';
}

function ruleFor(set: RuleSet, side: CutoverSide): CompiledRule | null {
  return (side === 'after' ? set.after : set.before) ?? set.always;
}

function describeRule(rule: CompiledRule): NonNullable<RouteExplanation['rule']> {
  return {
    id: rule.id,
    kind: rule.kind,
    source: rule.source,
    when: rule.when,
    target: rule.target,
    status: rule.status,
  };
}

interface RuleRow {
  id: string;
  source: string;
  target: string;
  when: RuleWhen;
  status: number | null;
  position: number;
}

export function createUrlRouter(options: {
  db: Db;
  config: { publicUrl: string; platforms: { newUrl: string; legacyUrl: string | null } };
  now?: () => Date;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Where unmapped paths are counted (default: a recorder writing every 5 s, closed with the router). */
  unmapped?: UnmappedRecorder;
  /**
   * Checks the table every so often and reloads when it changed (another process imported or edited
   * rules). Off by default: the process that changes rules calls `reload()`.
   */
  refreshEveryMs?: number;
  /** Rows per query when reloading (tests make it small). */
  reloadPageSize?: number;
}): UrlRouter {
  const { db, logger } = options;
  const now = options.now ?? (() => new Date());
  const pageSize = options.reloadPageSize ?? PAGE_SIZE;
  const bases: PlatformBases = platformBases(options.config);
  const crosswalk = createCrosswalkLookup(db, { now });
  const ownRecorder = options.unmapped ? null : createUnmappedRecorder({ db, now, logger });
  const recorder = options.unmapped ?? ownRecorder!;
  const counts: UrlRouterStats = {
    routed: 0,
    redirects: 0,
    served: 0,
    signInFirst: 0,
    unmapped: 0,
    crosswalkMisses: 0,
    loops: 0,
    refused: 0,
  };
  let matcher: RuleMatcher | null = null;
  let fingerprint = '';
  let reloading: Promise<void> = Promise.resolve();
  let firstLoad: Promise<void> | null = null;

  const readFingerprint = async () => {
    // A row's xmin changes when it is inserted or updated (so does their sum); the count, when one
    // is deleted. One scan of the table, only when a refresh interval is set or at a reload.
    const [row] = await queryRows<{ n: string; x: string }>(
      db,
      sql`select count(*)::text as n, coalesce(sum(xmin::text::bigint), 0)::text as x from url_rules`,
    );
    return `${row?.n}:${row?.x}`;
  };

  const loadOnce = async (): Promise<{ matcher: RuleMatcher; fingerprint: string }> => {
    const before = await readFingerprint();
    const builder = createRuleSetBuilder({
      legacyConfigured: bases.legacy !== null,
      onSkip: (skipped) =>
        logger?.warn(
          {
            rule: skipped.id,
            source: sanitizePath(skipped.source),
            when: skipped.when,
            problem: skipped.problem,
          },
          'url rule skipped',
        ),
    });
    let after: { source: string; when: string } | null = null;
    for (;;) {
      const rows: RuleRow[] = await queryRows<RuleRow>(
        db,
        sql`select id, source, target, "when", status, position from url_rules
            ${after ? sql`where (source, "when") > (${after.source}, ${after.when})` : sql``}
            order by source, "when" limit ${pageSize}`,
      );
      for (const row of rows) builder.add(row);
      if (rows.length < pageSize) break;
      const last = rows[rows.length - 1]!;
      after = { source: last.source, when: last.when };
    }
    return { matcher: builder.build(), fingerprint: before };
  };

  const load = async () => {
    // Pages are read outside one transaction (PGlite would hold every other query meanwhile): when
    // the table changed during the read, read it again.
    for (let attempt = 1; ; attempt++) {
      const loaded = await loadOnce();
      const after = await readFingerprint();
      matcher = loaded.matcher;
      fingerprint = loaded.fingerprint;
      if (after === loaded.fingerprint || attempt === 3) break;
    }
    crosswalk.clear();
  };

  const reload = () => {
    reloading = reloading.catch(() => {}).then(load);
    return reloading;
  };

  const current = async (): Promise<RuleMatcher> => {
    if (matcher) return matcher;
    // A first load that failed (the database was away) is tried again by the next request.
    firstLoad ??= reload().catch((error: unknown) => {
      firstLoad = null;
      throw error;
    });
    await firstLoad;
    return matcher!;
  };

  /** The rule a request reaches, and whether the patient's cohort chose it. */
  const pick = (
    rules: RuleMatcher,
    path: string,
    side: CutoverSide | null,
  ): { match: RuleMatch; passedOver: boolean } | null => {
    let passedOver = false;
    const match = rules.find(path, (set) => {
      if (side === null) return true;
      if (ruleFor(set, side)) return true;
      passedOver = true;
      return false;
    });
    return match ? { match, passedOver } : null;
  };

  /** Whether following redirects within this portal from `path` comes back or never ends. */
  const selfLoops = async (rules: RuleMatcher, start: string, next: string, side: CutoverSide | null) => {
    const seen = new Set([start]);
    let path = next;
    for (let step = 0; step < SELF_CHAIN_LIMIT; step++) {
      if (seen.has(path)) return true;
      seen.add(path);
      const found = pick(rules, path, side);
      const rule = found && (side === null ? found.match.rules.always : ruleFor(found.match.rules, side));
      if (!found || !rule || rule.base !== 'self') return false;
      const rendered = await renderTarget(rule, found.match, bases, crosswalk);
      if (!rendered.ok) return false;
      const target = normalizePath(rendered.url.pathname);
      if (!target.ok || target.path === path) return false;
      path = target.path;
    }
    return true;
  };

  const decide = async (input: RouteInput): Promise<RouteExplanation> => {
    const rules = await current();
    const pathOnly = input.path.split(/[?#]/, 1)[0]!;
    const normalized = normalizePath(pathOnly);
    if (!normalized.ok)
      return {
        decision: { kind: 'unmapped', normalizedPath: '/:unreadable' },
        detail: normalized.reason,
        rule: null,
      };
    const path = normalized.path;
    // Control characters never reach a Location header or the resume address.
    const search = input.search.split('#', 1)[0]!.replace(/^\?/, '').replace(CONTROL_CHARACTERS, '');
    const hops = Math.max(Number.isInteger(input.hops) && input.hops > 0 ? input.hops : 0, readHops(search));
    const patient = input.patient;
    const side = patient ? cutoverSide(patient.cohortPhase) : null;
    const unmapped = (detail: RouteDetail, rule: CompiledRule | null = null): RouteExplanation => ({
      decision: { kind: 'unmapped', normalizedPath: unmappedKey(path) },
      detail,
      rule: rule && describeRule(rule),
    });

    const found = pick(rules, path, side);
    if (!found) return unmapped('no_rule');
    const { match, passedOver } = found;
    const set = match.rules;
    const bySide = passedOver || set.before !== null || set.after !== null;
    const resume = { kind: 'sign_in_first', resumeTo: search === '' ? path : `${path}?${search}` } as const;
    let rule: CompiledRule;
    if (side === null) {
      if (set.before || set.after || !set.always)
        return { decision: resume, detail: 'sign_in_needed', rule: null };
      rule = set.always;
      if (rule.needsPatient) return { decision: resume, detail: 'sign_in_needed', rule: describeRule(rule) };
    } else rule = ruleFor(set, side)!;

    const rendered = await renderTarget(rule, match, bases, crosswalk);
    let target: URL;
    let temporary = false;
    if (rendered.ok) target = rendered.url;
    else if (rendered.reason === 'crosswalk_miss') {
      target = rendered.fallback;
      temporary = true;
    } else return unmapped(rendered.reason, rule);

    if (rule.base === 'self' && !temporary) {
      const same = normalizePath(target.pathname);
      if (same.ok && same.path === path)
        return { decision: { kind: 'serve' }, detail: 'served_here', rule: describeRule(rule) };
      if (same.ok && (await selfLoops(rules, path, same.path, side)))
        return { decision: { kind: 'loop' }, detail: 'self_loop', rule: describeRule(rule) };
    }
    const location = mergeQuery(target, search, rule.base === 'self' ? null : hops + 1).href;
    if (!isAllowedDestination(location, bases)) return unmapped('unsafe_target', rule);
    if (hops >= LOOP_AT_HOPS) return { decision: { kind: 'loop' }, detail: 'loop', rule: describeRule(rule) };

    const method = input.method.toUpperCase();
    const final = patient !== null && patient.cohortPhase === 'cut_over' && patient.cohortFinal;
    let status: RedirectStatus;
    if (rule.status !== null && !temporary) status = rule.status;
    else if (final && !temporary) status = 308;
    else status = method === 'GET' || method === 'HEAD' ? 302 : 307;
    const cacheControl = status === 301 || status === 308 ? PERMANENT_CACHE : NO_STORE;
    const vary = rule.status === null || bySide || rule.needsPatient || temporary ? 'Cookie' : null;
    return {
      decision: { kind: 'redirect', location, status, cacheControl, vary },
      detail: temporary ? 'crosswalk_miss' : 'redirect',
      rule: describeRule(rule),
    };
  };

  let timer: NodeJS.Timeout | null = null;
  if (options.refreshEveryMs && options.refreshEveryMs > 0) {
    timer = setInterval(() => {
      void (async () => {
        try {
          if (matcher && (await readFingerprint()) !== fingerprint) await reload();
        } catch (error) {
          logger?.warn({ err: error }, 'url rules could not be checked for changes');
        }
      })();
    }, options.refreshEveryMs);
    timer.unref();
  }

  return {
    reload,
    async explain(input) {
      const explanation = await decide(input);
      // Exact rules keep no id in memory: the staff page needs it to offer "delete".
      if (explanation.rule && explanation.rule.id === null) {
        const [row] = await queryRows<{ id: string }>(
          db,
          sql`select id from url_rules where source = ${explanation.rule.source} and "when" = ${explanation.rule.when}`,
        );
        explanation.rule.id = row?.id ?? null;
      }
      return explanation;
    },
    async route(input) {
      const { decision, detail } = await decide(input);
      counts.routed += 1;
      switch (decision.kind) {
        case 'redirect':
          counts.redirects += 1;
          if (detail === 'crosswalk_miss') {
            counts.crosswalkMisses += 1;
            recorder.record(input.path);
          }
          break;
        case 'serve':
          counts.served += 1;
          break;
        case 'sign_in_first':
          counts.signInFirst += 1;
          break;
        case 'loop':
          counts.loops += 1;
          logger?.warn({ path: sanitizePath(input.path), detail }, 'redirect loop stopped');
          break;
        case 'unmapped':
          if (detail === 'no_rule') {
            counts.unmapped += 1;
            recorder.record(input.path);
          } else {
            counts.refused += 1;
            logger?.warn({ path: decision.normalizedPath, detail }, 'legacy path refused');
          }
          break;
      }
      return decision;
    },
    stats: () => ({ ...counts }),
    get rules() {
      return matcher?.size ?? { exact: 0, prefix: 0, pattern: 0, skipped: 0 };
    },
    async close() {
      if (timer) clearInterval(timer);
      await reloading.catch(() => {});
      await ownRecorder?.close();
    },
  };
}
