// The compiled rule set the router answers from: exact rules in one hash map (a million of them in
// under 200 MB: the map holds the source string and a small integer, the target is one string in an
// array), prefixes in a trie by path segment (the longest prefix wins), and patterns in a short list
// in staff's order (indexed by first segment, so a path meets only the patterns that could match).
//
// Precedence: exact > pattern > prefix. An exact rule names one page and is the most specific thing a
// person can write; a pattern names a shape of page (`/appointments/:id`) and must beat the catch-all
// prefixes (`/*`, `/appointments/*`) that exist precisely for what the patterns do not name.
import { isCanonicalPath, splitPath } from './paths.ts';
import {
  parseSource,
  parseTarget,
  redirectStatuses,
  targetBases,
  type ParsedTarget,
  type RedirectStatus,
  type RuleKind,
  type RuleWhen,
  type SourceSegment,
  type TargetBase,
  type TemplatePart,
} from './rules.ts';

/** A rule as the database holds it. */
export interface RuleRecord {
  id?: string | null;
  source: string;
  target: string;
  when: RuleWhen;
  status: number | null;
  position?: number;
}

/** One rule, ready to render. */
export interface CompiledRule {
  /** Null for exact rules: a million ids are not kept in memory (look them up by source and when). */
  id: string | null;
  kind: RuleKind;
  source: string;
  when: RuleWhen;
  target: string;
  status: RedirectStatus | null;
  base: TargetBase;
  parts: readonly TemplatePart[];
  needsPatient: boolean;
}

/** The rules that share one source, one per `when`. */
export interface RuleSet {
  always: CompiledRule | null;
  before: CompiledRule | null;
  after: CompiledRule | null;
}

export interface RuleMatch {
  via: RuleKind;
  rules: RuleSet;
  /** Named parts as they appear in the normalised path (still percent-encoded). */
  params: Record<string, string>;
  /** What follows a prefix (or a pattern ending in `/*`): `''` or a path starting with `/`. */
  rest: string;
}

export interface RuleMatcher {
  /**
   * The first candidate in precedence order that `accept` takes: exact, then patterns in order, then
   * prefixes from the longest. `accept` sees each candidate's rule set and says whether it applies.
   */
  find(path: string, accept: (rules: RuleSet) => boolean): RuleMatch | null;
  /** Rules compiled, by kind, and rows skipped. */
  readonly size: { exact: number; prefix: number; pattern: number; skipped: number };
}

export interface SkippedRule {
  id: string | null;
  source: string;
  when: RuleWhen;
  problem: string;
}

/** Adds rules one at a time (a reload streams them from the database), then builds the matcher. */
export interface RuleSetBuilder {
  add(record: RuleRecord): void;
  build(): RuleMatcher;
}

// The common exact rule, checked without building anything (a reload reads a million of them): a
// canonical path with no named part or *, and a target that is a base and plain URL text. Anything
// else goes through the full parser, which also says what is wrong.
const PLAIN_TARGET = /^\{(new|legacy|self)\}(?:[/?#](?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*)?$/;
const UNSAFE_PLAIN = /^\{[a-z]+\}\/\/|(?:javascript|vbscript|data):|\/(?:\.|%2e){1,2}(?:[/?#]|$)/i;

function plainExactBase(source: string, target: string): TargetBase | null {
  if (!isCanonicalPath(source) || source.includes('*') || source.includes('/:')) return null;
  const m = PLAIN_TARGET.exec(target);
  if (!m || UNSAFE_PLAIN.test(target)) return null;
  return m[1] as TargetBase;
}

const WHEN_CODE: Record<RuleWhen, number> = { always: 0, before_cutover: 1, after_cutover: 2 };
const WHENS: readonly RuleWhen[] = ['always', 'before_cutover', 'after_cutover'];
const BASE_CODE: Record<TargetBase, number> = { new: 0, legacy: 1, self: 2 };
const EMPTY_PARTS: readonly TemplatePart[] = Object.freeze([]);

interface PatternEntry {
  source: string;
  segments: SourceSegment[];
  rest: boolean;
  position: number;
  rules: RuleSet;
}

interface TrieNode {
  children: Map<string, TrieNode> | null;
  rules: RuleSet | null;
}

function emptySet(): RuleSet {
  return { always: null, before: null, after: null };
}

/** Puts the rule in its place; true when the place was empty. */
function put(set: RuleSet, rule: CompiledRule): boolean {
  const key = rule.when === 'always' ? 'always' : rule.when === 'before_cutover' ? 'before' : 'after';
  const empty = set[key] === null;
  set[key] = rule;
  return empty;
}

function setHasRules(set: RuleSet) {
  return set.always !== null || set.before !== null || set.after !== null;
}

/**
 * Rules are checked again as they are compiled: a row written around the service (by hand, or by an
 * older version) that no longer passes is skipped and reported, never routed.
 */
export function createRuleSetBuilder(
  options: {
    onSkip?: (skipped: SkippedRule) => void;
    /** Without a legacy platform configured, `{legacy}` rules are skipped (default: configured). */
    legacyConfigured?: boolean;
  } = {},
): RuleSetBuilder {
  // Exact rules, compactly: source → one small integer, `slot * 128 + meta` (meta: base | when << 2 |
  // status index << 4, status 0 for none), or for a source with several `when`s, -1 - group, where a
  // group lists such integers. The slot indexes the target strings.
  const exact = new Map<string, number>();
  const exactTargets: string[] = [];
  const exactGroups: number[][] = [];
  const patterns = new Map<string, PatternEntry>();
  const root: TrieNode = { children: null, rules: null };
  const size = { exact: 0, prefix: 0, pattern: 0, skipped: 0 };
  let built = false;

  const skip = (record: RuleRecord, problem: string) => {
    size.skipped += 1;
    options.onSkip?.({ id: record.id ?? null, source: record.source, when: record.when, problem });
  };

  const addExact = (source: string, base: TargetBase, record: RuleRecord) => {
    // The whole target string as the database gave it (one flat string; a slice of it would keep a
    // second object per rule): the tail after the base is cut on lookup.
    const text = record.target.trim();
    const statusIndex =
      record.status === null ? 0 : redirectStatuses.indexOf(record.status as RedirectStatus) + 1;
    const slot = exactTargets.length;
    exactTargets.push(text);
    const value = slot * 128 + (BASE_CODE[base] | (WHEN_CODE[record.when] << 2) | (statusIndex << 4));
    const existing = exact.get(source);
    if (existing === undefined) {
      exact.set(source, value);
      size.exact += 1;
      return;
    }
    const group = existing >= 0 ? [existing] : exactGroups[-1 - existing]!;
    // The same (source, when) twice cannot come from the database (a unique key); the later one wins.
    const when = WHEN_CODE[record.when];
    const kept = group.filter((v) => ((v >> 2) & 3) !== when);
    if (kept.length === group.length) size.exact += 1;
    kept.push(value);
    if (existing >= 0) {
      exactGroups.push(kept);
      exact.set(source, -exactGroups.length);
    } else exactGroups[-1 - existing] = kept;
  };

  const fullRule = (
    kind: RuleKind,
    source: string,
    target: ParsedTarget,
    record: RuleRecord,
  ): CompiledRule => ({
    id: record.id ?? null,
    kind,
    source,
    when: record.when,
    target: record.target.trim(),
    status: record.status as RedirectStatus | null,
    base: target.base,
    parts: target.parts,
    needsPatient: target.needsPatient,
  });

  return {
    add(record) {
      if (built) throw new Error('this rule set is already built');
      if (!WHENS.includes(record.when)) return skip(record, `unknown when "${String(record.when)}"`);
      if (record.status !== null && !(redirectStatuses as readonly number[]).includes(record.status))
        return skip(record, `status ${record.status} is not a redirect status`);
      const plain = plainExactBase(record.source, record.target);
      if (plain !== null) {
        if (plain === 'legacy' && options.legacyConfigured === false)
          return skip(record, 'the target is on the legacy platform, and LEGACY_PLATFORM_URL is not set');
        return addExact(record.source, plain, record);
      }
      const source = parseSource(record.source);
      if (!source.ok) return skip(record, source.problem);
      const target = parseTarget(record.target, source.value);
      if (!target.ok) return skip(record, target.problem);
      if (target.value.base === 'legacy' && options.legacyConfigured === false)
        return skip(record, 'the target is on the legacy platform, and LEGACY_PLATFORM_URL is not set');
      const parsed = source.value;
      if (parsed.kind === 'exact') return addExact(parsed.source, target.value.base, record);
      const rule = fullRule(parsed.kind, parsed.source, target.value, record);
      if (parsed.kind === 'pattern') {
        let entry = patterns.get(parsed.source);
        if (!entry) {
          entry = {
            source: parsed.source,
            segments: parsed.segments,
            rest: parsed.rest,
            position: record.position ?? 0,
            rules: emptySet(),
          };
          patterns.set(parsed.source, entry);
        }
        entry.position = Math.min(entry.position, record.position ?? 0);
        if (put(entry.rules, rule)) size.pattern += 1;
        return;
      }
      let node = root;
      for (const segment of parsed.segments as string[]) {
        node.children ??= new Map();
        let child = node.children.get(segment);
        if (!child) {
          child = { children: null, rules: null };
          node.children.set(segment, child);
        }
        node = child;
      }
      node.rules ??= emptySet();
      if (put(node.rules, rule)) size.prefix += 1;
    },

    build() {
      built = true;
      const patternList = [...patterns.values()].sort(
        (a, b) => a.position - b.position || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
      );
      patterns.clear();
      // The list in order, split by its first segment: a path only meets the patterns whose first
      // segment is its own, or a named part. Each keeps its place in the list.
      const byFirst = new Map<string, { order: number; entry: PatternEntry }[]>();
      const anyFirst: { order: number; entry: PatternEntry }[] = [];
      patternList.forEach((entry, order) => {
        const first = entry.segments[0];
        if (typeof first !== 'string') anyFirst.push({ order, entry });
        else {
          let list = byFirst.get(first);
          if (!list) byFirst.set(first, (list = []));
          list.push({ order, entry });
        }
      });
      const matchPattern = (entry: PatternEntry, segments: string[]): Record<string, string> | null => {
        const fixed = entry.segments.length;
        if (entry.rest ? segments.length < fixed : segments.length !== fixed) return null;
        const params: Record<string, string> = {};
        for (let i = 0; i < fixed; i++) {
          const want = entry.segments[i]!;
          if (typeof want === 'string') {
            if (want !== segments[i]) return null;
          } else params[want.param] = segments[i]!;
        }
        return params;
      };

      const exactRule = (source: string, value: number): CompiledRule => {
        const meta = value & 127;
        const base = targetBases[meta & 3]!;
        const target = exactTargets[(value - meta) / 128]!;
        const tail = target.slice(base.length + 2);
        const statusIndex = meta >> 4;
        return {
          id: null,
          kind: 'exact',
          source,
          when: WHENS[(meta >> 2) & 3]!,
          target,
          status: statusIndex === 0 ? null : redirectStatuses[statusIndex - 1]!,
          base,
          parts: tail === '' ? EMPTY_PARTS : [{ text: tail }],
          needsPatient: false,
        };
      };
      const exactSet = (source: string, value: number): RuleSet => {
        const set = emptySet();
        for (const v of value >= 0 ? [value] : exactGroups[-1 - value]!) put(set, exactRule(source, v));
        return set;
      };
      const noParams: Record<string, string> = {};

      return {
        size,
        find(path, accept) {
          const found = exact.get(path);
          if (found !== undefined) {
            const rules = exactSet(path, found);
            if (accept(rules)) return { via: 'exact', rules, params: noParams, rest: '' };
          }
          const segments = splitPath(path);
          const named = segments.length > 0 ? (byFirst.get(segments[0]!) ?? []) : [];
          for (let i = 0, j = 0; i < named.length || j < anyFirst.length;) {
            const next =
              j >= anyFirst.length || (i < named.length && named[i]!.order < anyFirst[j]!.order)
                ? named[i++]!
                : anyFirst[j++]!;
            const { entry } = next;
            const params = matchPattern(entry, segments);
            if (!params || !accept(entry.rules)) continue;
            const fixed = entry.segments.length;
            const rest = entry.rest && segments.length > fixed ? `/${segments.slice(fixed).join('/')}` : '';
            return { via: 'pattern', rules: entry.rules, params, rest };
          }
          // Every prefix on the way down, then the longest first.
          const hits: { depth: number; rules: RuleSet }[] = [];
          let node: TrieNode | undefined = root;
          for (let depth = 0; node; depth++) {
            if (node.rules && setHasRules(node.rules)) hits.push({ depth, rules: node.rules });
            if (depth === segments.length || !node.children) break;
            node = node.children.get(segments[depth]!);
          }
          for (let i = hits.length - 1; i >= 0; i--) {
            const hit = hits[i]!;
            if (!accept(hit.rules)) continue;
            const rest = hit.depth < segments.length ? `/${segments.slice(hit.depth).join('/')}` : '';
            return { via: 'prefix', rules: hit.rules, params: noParams, rest };
          }
          return null;
        },
      };
    },
  };
}

/** Compiles a whole list at once (tests, the bench, small rule sets). */
export function compileRules(
  records: Iterable<RuleRecord>,
  options: Parameters<typeof createRuleSetBuilder>[0] = {},
): RuleMatcher {
  const builder = createRuleSetBuilder(options);
  for (const record of records) builder.add(record);
  return builder.build();
}
