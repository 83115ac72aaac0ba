// Legacy paths no rule matched, counted for staff so they can add the rules patients need. Paths are
// stored normalised with PHI stripped (`sanitizePath`: ids, emails, phone numbers and tokens become
// placeholders; no query string ever), and counted in memory: a request never waits on a write. The
// counts go to the database in one upsert every few seconds and when the process stops.
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { pgArray } from '../../db/pg-array.ts';
import { unmappedPaths } from '../../db/schema/index.ts';
import type { Logger } from '../../infra/logger.ts';
import { sanitizePath } from '../../infra/redact.ts';
import { normalizePath } from './paths.ts';

/** Longer paths are cut here (a placeholder marks the cut), so one odd request cannot bloat the table. */
export const MAX_UNMAPPED_PATH = 300;

/** A path as staff see it: normalised, with every segment that could identify a person replaced. */
export function unmappedKey(rawPath: string): string {
  const pathOnly = rawPath.split(/[?#]/, 1)[0]!;
  const normalized = normalizePath(pathOnly);
  if (!normalized.ok) return '/:unreadable';
  let key = sanitizePath(normalized.path);
  if (key.length > MAX_UNMAPPED_PATH) {
    const cut = key.lastIndexOf('/', MAX_UNMAPPED_PATH - 6);
    key = `${key.slice(0, cut > 0 ? cut : MAX_UNMAPPED_PATH - 6)}/:more`;
  }
  return key;
}

export interface UnmappedRecorder {
  /** Counts one request; returns the stored (sanitised) path. Never waits. */
  record(rawPath: string): string;
  /** Writes what was counted so far (one statement). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
  /** Distinct paths waiting to be written. */
  readonly pending: number;
}

interface Pending {
  hits: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export function createUnmappedRecorder(options: {
  db: Db;
  /** How often the counts are written; 0 turns the timer off (flush by hand). Default 5 s. */
  flushEveryMs?: number;
  /** Distinct paths held between writes; beyond it new paths are dropped (and logged) until the next write. */
  maxPending?: number;
  now?: () => Date;
  logger?: Pick<Logger, 'warn'>;
}): UnmappedRecorder {
  const { db, logger } = options;
  const now = options.now ?? (() => new Date());
  const maxPending = options.maxPending ?? 10_000;
  let pending = new Map<string, Pending>();
  let dropped = 0;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  const write = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const paths = [...batch.keys()];
    const rows = [...batch.values()];
    try {
      // A path hit again after staff resolved it is back on their list: the rule did not cover it.
      await db.execute(sql`
        insert into unmapped_paths (path, hits, first_seen_at, last_seen_at)
        select * from unnest(${pgArray(paths)}::text[], ${pgArray(rows.map((r) => r.hits))}::bigint[],
                             ${pgArray(rows.map((r) => r.firstSeenAt.toISOString()))}::timestamptz[],
                             ${pgArray(rows.map((r) => r.lastSeenAt.toISOString()))}::timestamptz[])
        on conflict (path) do update
          set hits = unmapped_paths.hits + excluded.hits,
              last_seen_at = greatest(unmapped_paths.last_seen_at, excluded.last_seen_at),
              resolved_at = null`);
    } catch (error) {
      // Counted again at the next write (within the same bound); never thrown at a request.
      for (const [path, row] of batch) merge(path, row);
      logger?.warn({ err: error, paths: batch.size }, 'unmapped paths could not be written; will retry');
    }
    if (dropped > 0) {
      logger?.warn({ dropped }, 'unmapped paths dropped: too many distinct paths between writes');
      dropped = 0;
    }
  };

  const merge = (path: string, row: Pending) => {
    const existing = pending.get(path);
    if (existing) {
      existing.hits += row.hits;
      if (row.firstSeenAt < existing.firstSeenAt) existing.firstSeenAt = row.firstSeenAt;
      if (row.lastSeenAt > existing.lastSeenAt) existing.lastSeenAt = row.lastSeenAt;
    } else if (pending.size < maxPending) pending.set(path, { ...row });
    else dropped += row.hits;
  };

  const flush = () => {
    writing = writing.then(write);
    return writing;
  };

  const every = options.flushEveryMs ?? 5_000;
  const timer = every > 0 ? setInterval(() => void flush(), every) : null;
  timer?.unref();

  return {
    record(rawPath) {
      const key = unmappedKey(rawPath);
      const at = now();
      merge(key, { hits: 1, firstSeenAt: at, lastSeenAt: at });
      return key;
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await flush();
    },
    get pending() {
      return pending.size;
    },
  };
}

export interface UnmappedPath {
  path: string;
  hits: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** The to-do list for staff: unresolved paths, most hits first. */
export async function listUnmapped(db: Db, limit: number): Promise<UnmappedPath[]> {
  return db
    .select({
      path: unmappedPaths.path,
      hits: unmappedPaths.hits,
      firstSeenAt: unmappedPaths.firstSeenAt,
      lastSeenAt: unmappedPaths.lastSeenAt,
    })
    .from(unmappedPaths)
    .where(isNull(unmappedPaths.resolvedAt))
    .orderBy(desc(unmappedPaths.hits), unmappedPaths.path)
    .limit(Math.max(1, Math.min(limit, 1000)));
}

/** Takes a path off the list (it stays in the table, for the record); false when it was not on it. */
export async function resolveUnmapped(db: Db, path: string): Promise<boolean> {
  const rows = await db
    .update(unmappedPaths)
    .set({ resolvedAt: sql`now()` })
    .where(and(eq(unmappedPaths.path, path), isNull(unmappedPaths.resolvedAt)))
    .returning({ path: unmappedPaths.path });
  return rows.length > 0;
}
