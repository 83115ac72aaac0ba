// URL rules as staff and import files write them (DESIGN §4.4): `source, target, when, status`, parsed,
// validated and normalised here, so a rule that reaches the database can only send a patient to the
// new platform, the legacy platform or this portal.
import { z } from 'zod';
import { normalizePath, splitPath, type PathRefusal } from './paths.ts';

export const ruleKinds = ['exact', 'prefix', 'pattern'] as const;
export type RuleKind = (typeof ruleKinds)[number];
export const ruleWhens = ['always', 'before_cutover', 'after_cutover'] as const;
export type RuleWhen = (typeof ruleWhens)[number];
export const redirectStatuses = [301, 302, 303, 307, 308] as const;
export type RedirectStatus = (typeof redirectStatuses)[number];
/** Where a target starts: the new platform, the legacy platform, or this portal. */
export const targetBases = ['new', 'legacy', 'self'] as const;
export type TargetBase = (typeof targetBases)[number];

/** A segment of a source: literal text (canonical spelling) or a named part. */
export type SourceSegment = string | { param: string };

export interface ParsedSource {
  kind: RuleKind;
  /** Canonical: `/billing`, `/messages/*`, `/appointments/:id`. */
  source: string;
  segments: SourceSegment[];
  params: string[];
  /** Ends in `/*`: whatever follows is `{rest}`. */
  rest: boolean;
}

export type TemplatePart =
  { text: string } | { param: string } | { rest: true } | { crosswalk: { kind: string; param: string } };

export interface ParsedTarget {
  base: TargetBase;
  /** What follows the base, in order. */
  parts: TemplatePart[];
  /** A crosswalk lookup reveals a patient's record id: anonymous visitors sign in first. */
  needsPatient: boolean;
}

/** A rule that passed every check, ready to store or compile. */
export interface ValidRule {
  kind: RuleKind;
  source: string;
  target: string;
  when: RuleWhen;
  status: RedirectStatus | null;
  note: string;
  position: number | undefined;
  parsedSource: ParsedSource;
  parsedTarget: ParsedTarget;
}

export type RuleValidation = { ok: true; rule: ValidRule } | { ok: false; problems: string[] };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CROSSWALK_KIND = /^[a-z][a-z0-9_-]{0,39}$/;
// Names the target template already gives a meaning to.
const RESERVED_PARAMS = new Set(['new', 'legacy', 'self', 'rest', 'crosswalk']);
// Characters a target's literal text may hold as they are (a URL's path, query and fragment).
const TARGET_TEXT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$/;
const SCRIPT_SCHEME = /(?:javascript|vbscript|data)\s*:/i;

const pathRefusals: Record<PathRefusal, string> = {
  not_a_path: 'must start with /',
  backslash: 'cannot hold a backslash',
  control_character: 'cannot hold control characters',
  encoded_slash: 'cannot hold an encoded slash or backslash (%2F, %5C)',
  bad_escape: 'has a % that is not followed by two hexadecimal digits',
  too_long: 'is longer than 2,048 characters',
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** `/billing` (exact), `/messages/*` (prefix), `/appointments/:id` or `/records/:kind/*` (pattern). */
export function parseSource(raw: string): Parsed<ParsedSource> {
  let text = raw.trim();
  if (text === '') return { ok: false, problem: 'source is empty' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith('//'))
    return {
      ok: false,
      problem: `source must be a path on this portal such as /billing, not a full URL (got "${text}")`,
    };
  if (!text.startsWith('/')) return { ok: false, problem: `source must start with / (got "${text}")` };
  if (/[?#]/.test(text))
    return {
      ok: false,
      problem:
        'source cannot hold a query string or #: rules match the path, and the query string is passed on',
    };
  const rest = text === '/*' || text.endsWith('/*');
  if (rest) text = text.slice(0, -2) || '/';
  if (text.includes('*'))
    return { ok: false, problem: 'a * may only end a source, after a slash (as in /messages/*)' };
  const normalized = normalizePath(text);
  if (!normalized.ok) return { ok: false, problem: `source ${pathRefusals[normalized.reason]}` };
  const params: string[] = [];
  const segments: SourceSegment[] = [];
  for (const segment of splitPath(normalized.path)) {
    if (!segment.startsWith(':')) {
      segments.push(segment);
      continue;
    }
    const name = segment.slice(1);
    if (!PARAM_NAME.test(name))
      return {
        ok: false,
        problem: `the named part "${segment}" must be a colon and a name of letters, digits and _ (as in :id)`,
      };
    if (RESERVED_PARAMS.has(name))
      return { ok: false, problem: `":${name}" cannot name a part: {${name}} already means something` };
    if (params.includes(name)) return { ok: false, problem: `the named part ":${name}" appears twice` };
    params.push(name);
    segments.push({ param: name });
  }
  const kind: RuleKind = params.length > 0 ? 'pattern' : rest ? 'prefix' : 'exact';
  const source = rest ? `${normalized.path === '/' ? '' : normalized.path}/*` : normalized.path;
  return { ok: true, value: { kind, source, segments, params, rest } };
}

/**
 * `{new}/visits/{crosswalk:appointment:id}`: a base first ({new}, {legacy} or {self}), then literal
 * path, query and fragment text with the source's captured parts, `{rest}` and crosswalk lookups.
 * Nothing but a base may start a target, and the base must be followed by /, ?, # or {rest}: a target
 * cannot name another host or extend the platform's host name ({new}.evil.example).
 */
export function parseTarget(raw: string, source: ParsedSource): Parsed<ParsedTarget> {
  const text = raw.trim();
  if (text === '') return { ok: false, problem: 'target is empty' };
  if (SCRIPT_SCHEME.test(text))
    return { ok: false, problem: 'target cannot hold a javascript:, vbscript: or data: URL' };
  if (text.includes('\\')) return { ok: false, problem: 'target cannot hold a backslash' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(text))
    return { ok: false, problem: 'target cannot hold spaces or control characters' };
  const start = /^\{(new|legacy|self)\}/.exec(text);
  if (!start)
    return {
      ok: false,
      problem: `target must start with {new}, {legacy} or {self}: rules only send patients to the new platform, the legacy platform or this portal (got "${text}")`,
    };
  const base = start[1] as TargetBase;
  const tail = text.slice(start[0].length);
  const parts: TemplatePart[] = [];
  let needsPatient = false;
  let at = 0;
  const token = /\{([^{}]*)\}/g;
  for (let m = token.exec(tail); m; m = token.exec(tail)) {
    if (m.index > at) parts.push({ text: tail.slice(at, m.index) });
    at = m.index + m[0].length;
    const name = m[1]!;
    if ((targetBases as readonly string[]).includes(name))
      return { ok: false, problem: `only the start of a target may be {${name}}` };
    if (name === 'rest') {
      if (!source.rest)
        return { ok: false, problem: '{rest} needs a source that ends in /* (as in /messages/*)' };
      parts.push({ rest: true });
      continue;
    }
    const crosswalk = /^crosswalk:([^:]*):([^:]*)$/.exec(name);
    if (crosswalk) {
      const [, kind, param] = crosswalk as unknown as [string, string, string];
      if (!CROSSWALK_KIND.test(kind))
        return {
          ok: false,
          problem: `the crosswalk kind "${kind}" must be lower-case letters, digits, _ or - (as in appointment)`,
        };
      if (!source.params.includes(param))
        return {
          ok: false,
          problem: `{crosswalk:${kind}:${param}} needs the source to name a part :${param}`,
        };
      parts.push({ crosswalk: { kind, param } });
      needsPatient = true;
      continue;
    }
    if (PARAM_NAME.test(name)) {
      if (!source.params.includes(name))
        return { ok: false, problem: `{${name}} is not a named part of the source ${source.source}` };
      parts.push({ param: name });
      continue;
    }
    return {
      ok: false,
      problem: `{${name}} is not a placeholder: use {new}, {legacy}, {self}, a named part, {rest} or {crosswalk:kind:part}`,
    };
  }
  if (at < tail.length) parts.push({ text: tail.slice(at) });

  for (const part of parts) {
    if (!('text' in part)) continue;
    if (/[{}]/.test(part.text)) return { ok: false, problem: 'target has an unmatched { or }' };
    if (!TARGET_TEXT.test(part.text))
      return {
        ok: false,
        problem: `target text "${part.text}" holds characters a URL cannot carry as they are (percent-encode them)`,
      };
  }
  // What follows the base decides the host: only a path, a query or a fragment may.
  const first = parts[0];
  const second = parts[1];
  const startsSafely =
    first === undefined ||
    ('text' in first && /^[/?#]/.test(first.text)) ||
    ('rest' in first && (second === undefined || ('text' in second && /^[/?#]/.test(second.text))));
  if (!startsSafely)
    return {
      ok: false,
      problem: `after {${base}} the target must go on with /, ? or # (anything else could change the host)`,
    };
  const literalPath = (first && 'text' in first ? first.text : '').split(/[?#]/, 1)[0]!;
  if (literalPath.startsWith('//'))
    return { ok: false, problem: `target cannot start its path with // after {${base}}` };
  const pathText = parts
    .map((p) => ('text' in p ? p.text : 'x'))
    .join('')
    .split(/[?#]/, 1)[0]!;
  if (/(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i.test(pathText))
    return { ok: false, problem: 'target cannot hold . or .. path segments' };
  return { ok: true, value: { base, parts, needsPatient } };
}

const emptyToUndefined = (value: unknown) =>
  value === null || value === undefined || (typeof value === 'string' && value.trim() === '')
    ? undefined
    : typeof value === 'string'
      ? value.trim()
      : value;

/** The row as a person writes it (a CSV line or the admin form); every field a string or absent. */
export const urlRuleFieldsSchema = z.object({
  source: z.string({ required_error: 'source is missing' }),
  target: z.string({ required_error: 'target is missing' }),
  when: z.preprocess(
    emptyToUndefined,
    z
      .enum(ruleWhens, {
        errorMap: () => ({ message: 'when must be always, before_cutover or after_cutover' }),
      })
      .default('always'),
  ),
  status: z.preprocess(
    (value) => {
      const v = emptyToUndefined(value);
      return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    },
    z
      .union(
        redirectStatuses.map((s) => z.literal(s)) as unknown as [
          z.ZodLiteral<301>,
          z.ZodLiteral<302>,
          z.ZodLiteral<303>,
          z.ZodLiteral<307>,
          z.ZodLiteral<308>,
        ],
        { errorMap: () => ({ message: 'status must be empty, 301, 302, 303, 307 or 308' }) },
      )
      .nullable()
      .default(null),
  ),
  note: z.preprocess(
    emptyToUndefined,
    z.string().max(500, 'note must be 500 characters or fewer').default(''),
  ),
  position: z.preprocess(
    (value) => {
      const v = emptyToUndefined(value);
      return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    },
    z
      .number({ invalid_type_error: 'position must be a whole number' })
      .int('position must be a whole number')
      .min(0, 'position must be 0 or more')
      .max(1_000_000_000, 'position must be at most 1,000,000,000')
      .optional(),
  ),
});

export type UrlRuleInput = z.input<typeof urlRuleFieldsSchema>;

/** Checks one rule and reports every problem at once, each a sentence a person can act on. */
export function validateRule(input: UrlRuleInput): RuleValidation {
  const problems: string[] = [];
  const fields = urlRuleFieldsSchema.safeParse(input);
  if (!fields.success) problems.push(...fields.error.issues.map((issue) => issue.message));
  const source = typeof input.source === 'string' ? parseSource(input.source) : null;
  if (source && !source.ok) problems.push(source.problem);
  const target =
    source?.ok && typeof input.target === 'string' ? parseTarget(input.target, source.value) : null;
  if (target && !target.ok) problems.push(target.problem);
  if (!fields.success || !source?.ok || !target?.ok) return { ok: false, problems };
  const row = fields.data;
  if ((row.status === 301 || row.status === 308) && row.when !== 'always')
    return {
      ok: false,
      problems: [
        `a permanent status (${row.status}) only fits a rule for always: browsers keep permanent redirects, so a cohort's rollback could not reach them`,
      ],
    };
  return {
    ok: true,
    rule: {
      kind: source.value.kind,
      source: source.value.source,
      target: row.target.trim(),
      when: row.when,
      status: row.status,
      note: row.note,
      position: row.position,
      parsedSource: source.value,
      parsedTarget: target.value,
    },
  };
}
