// Turning a matched rule into the URL a patient is sent to: the template rendered with the captured
// parts (percent-encoded), `{rest}` and crosswalk lookups, the request's query string merged on, the
// hop marker added, and the result checked once more: its origin must be exactly the new platform's,
// the legacy platform's or this portal's. A rule cannot name another host (rules.ts refuses it), and
// this check makes sure no captured value or configuration slip can make one either.
import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { idCrosswalk } from '../../db/schema/index.ts';
import type { CompiledRule } from './match.ts';
import { decodeSegment } from './paths.ts';
import type { TargetBase } from './rules.ts';

/** The query parameter that counts redirects between the platforms and this portal. */
export const HOP_PARAM = 'cw_hop';

/** Where a base points: its text (`https://legacy.example/portal`), origin and path, parsed once. */
export interface PlatformBase {
  text: string;
  origin: string;
  /** '' or a path without a trailing slash. */
  path: string;
}

export interface PlatformBases {
  new: PlatformBase;
  legacy: PlatformBase | null;
  self: PlatformBase;
}

function parseBase(text: string): PlatformBase {
  const trimmed = text.replace(/\/+$/, '');
  const url = new URL(trimmed);
  return { text: trimmed, origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
}

export function platformBases(config: {
  publicUrl: string;
  platforms: { newUrl: string; legacyUrl: string | null };
}): PlatformBases {
  return {
    new: parseBase(config.platforms.newUrl),
    legacy: config.platforms.legacyUrl === null ? null : parseBase(config.platforms.legacyUrl),
    self: parseBase(config.publicUrl),
  };
}

/** Looks a legacy id up in the crosswalk; null when it is not there. */
export type CrosswalkLookup = (kind: string, legacyId: string) => Promise<string | null>;

/**
 * Crosswalk lookups with a small cache: a patient following a link tends to follow it twice (HEAD
 * then GET, a reload). Found ids are kept five minutes, misses thirty seconds (a crosswalk import
 * may be running).
 */
export function createCrosswalkLookup(
  db: DbOrTx,
  options: { now?: () => Date; maxEntries?: number; hitTtlMs?: number; missTtlMs?: number } = {},
): CrosswalkLookup & { clear(): void } {
  const now = options.now ?? (() => new Date());
  const maxEntries = options.maxEntries ?? 10_000;
  const hitTtl = options.hitTtlMs ?? 5 * 60_000;
  const missTtl = options.missTtlMs ?? 30_000;
  const cache = new Map<string, { newId: string | null; until: number }>();
  const lookup = async (kind: string, legacyId: string) => {
    const key = `${kind}\u0000${legacyId}`;
    const at = now().getTime();
    const cached = cache.get(key);
    if (cached && cached.until > at) {
      // Most recently used last: the first key is the one to evict.
      cache.delete(key);
      cache.set(key, cached);
      return cached.newId;
    }
    const [row] = await db
      .select({ newId: idCrosswalk.newId })
      .from(idCrosswalk)
      .where(and(eq(idCrosswalk.kind, kind), eq(idCrosswalk.legacyId, legacyId)))
      .limit(1);
    const newId = row?.newId ?? null;
    cache.delete(key);
    cache.set(key, { newId, until: at + (newId === null ? missTtl : hitTtl) });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return newId;
  };
  return Object.assign(lookup, { clear: () => cache.clear() });
}

export type RenderRefusal = 'no_legacy_platform' | 'unsafe_value' | 'unsafe_target';

export type RenderedTarget =
  | { ok: true; url: URL }
  | { ok: false; reason: 'crosswalk_miss'; fallback: URL }
  | { ok: false; reason: RenderRefusal };

// A captured value, decoded, may still hold what must never reach a URL as itself.
// eslint-disable-next-line no-control-regex
const UNSAFE_VALUE = /[\u0000-\u001f\u007f-\u009f\\/]/;

function baseOf(bases: PlatformBases, base: TargetBase): PlatformBase | null {
  return base === 'new' ? bases.new : base === 'legacy' ? bases.legacy : bases.self;
}

/** The rule's target for this request, before the query string is merged. */
export async function renderTarget(
  rule: CompiledRule,
  match: { params: Record<string, string>; rest: string },
  bases: PlatformBases,
  crosswalk: CrosswalkLookup,
): Promise<RenderedTarget> {
  const root = baseOf(bases, rule.base);
  if (root === null) return { ok: false, reason: 'no_legacy_platform' };
  let tail = '';
  for (const part of rule.parts) {
    if ('text' in part) tail += part.text;
    else if ('rest' in part) tail += match.rest;
    else {
      const name = 'param' in part ? part.param : part.crosswalk.param;
      const value = decodeSegment(match.params[name] ?? '');
      if (value === null || value === '' || UNSAFE_VALUE.test(value))
        return { ok: false, reason: 'unsafe_value' };
      if ('param' in part) {
        tail += encodeURIComponent(value);
        continue;
      }
      const newId = await crosswalk(part.crosswalk.kind, value);
      if (newId === null) {
        const fallback = checkedUrl(`${root.text}/`, root);
        return fallback
          ? { ok: false, reason: 'crosswalk_miss', fallback }
          : { ok: false, reason: 'unsafe_target' };
      }
      tail += encodeURIComponent(newId);
    }
  }
  const url = checkedUrl(root.text + tail, root);
  return url ? { ok: true, url } : { ok: false, reason: 'unsafe_target' };
}

/**
 * The URL, only when it stays where its base is: same scheme, host and port, no credentials, and a
 * path inside the base's path (a platform may live under a path, e.g. https://legacy.example/portal).
 */
export function checkedUrl(text: string, root: PlatformBase): URL | null {
  // URL parsing would drop tabs and newlines and turn a backslash into a slash: refuse them instead.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return isInside(url, root) ? url : null;
}

function isInside(url: URL, root: PlatformBase): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.origin !== root.origin || url.username !== '' || url.password !== '') return false;
  return root.path === '' || url.pathname === root.path || url.pathname.startsWith(`${root.path}/`);
}

/** Whether a URL may be sent as a redirect: it is on one of the three allowed bases. */
export function isAllowedDestination(location: string, bases: PlatformBases): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(location)) return false;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  return [bases.new, bases.legacy, bases.self].some((root) => root !== null && isInside(url, root));
}

function paramName(pair: string): string {
  const raw = pair.split('=', 1)[0]!;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The hop count a request carries in its query string (0 without one). */
export function readHops(search: string): number {
  let hops = 0;
  for (const pair of search.replace(/^\?/, '').split('&')) {
    if (paramName(pair) !== HOP_PARAM) continue;
    const value = Number(pair.slice(pair.indexOf('=') + 1));
    if (Number.isInteger(value) && value > hops) hops = value;
  }
  return hops;
}

/**
 * The request's query string merged onto the target's (the URL is changed in place and returned): the target's own parameters first and
 * unchanged (a rule's fixed value wins over the request's), then the request's in their order and
 * spelling, then the hop marker when the redirect leaves this portal. An incoming `cw_hop` is replaced
 * by the new count, or kept as it is on a redirect within this portal (so a loop is still seen).
 */
export function mergeQuery(url: URL, requestSearch: string, hop: number | null): URL {
  const own = url.search.replace(/^\?/, '');
  const taken = new Set(own === '' ? [] : own.split('&').map(paramName));
  const pairs = own === '' ? [] : own.split('&');
  for (const pair of requestSearch.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const name = paramName(pair);
    if (taken.has(name) || (hop !== null && name === HOP_PARAM)) continue;
    pairs.push(pair);
  }
  if (hop !== null) pairs.push(`${HOP_PARAM}=${hop}`);
  // The URL setter percent-encodes whatever a query may not carry as it is.
  url.search = pairs.length > 0 ? `?${pairs.join('&')}` : '';
  return url;
}
