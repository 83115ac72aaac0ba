// A private database per test file, cloned from the run's golden migrated image.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { sql } from 'drizzle-orm';
import { createDb, type DatabaseHandle } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';

export interface TestDatabase extends DatabaseHandle {
  /** postgres:// URL of this clone, when running on PostgreSQL (for child processes). */
  url?: string;
  /** Empties every table, audit log included, between tests. */
  reset(): Promise<void>;
}

const tables = [
  'audit_events',
  'outbox',
  'import_rows',
  'import_runs',
  'patient_credentials',
  'patients',
  'cohorts',
  'staff_sessions',
  'staff',
  'sign_in_tokens',
  'legacy_links',
  'legacy_link_redemptions',
  'url_rules',
  'id_crosswalk',
  'unmapped_paths',
  'wave_deliveries',
  'waves',
  'suppressions',
  'sign_in_tallies',
  'channel_pacing',
  'inbound_messages',
  'ticket_messages',
  'tickets',
  'support_agents',
];

// Tables the migrations seed (the support desk's starting queues, rules and policies): a reset puts
// back exactly what the golden image had, so a test that edits a rule does not leak into the next.
const seededTables = ['routing_rules', 'sla_policies', 'support_queues'];

export async function openTestDatabase(): Promise<TestDatabase> {
  const goldenPg = inject('goldenPostgres');
  let handle: DatabaseHandle;
  let url: string | undefined;
  let drop = async () => {};
  if (goldenPg) {
    const base = process.env.DATABASE_URL!;
    const name = `causeway_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${goldenPg}`);
    await admin.end();
    const cloneUrl = new URL(base);
    cloneUrl.pathname = `/${name}`;
    url = cloneUrl.toString();
    handle = await createDb({ url, poolSize: 4 });
    drop = async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  } else {
    const image = new Blob([readFileSync(inject('goldenPglite'))]);
    handle = await createDb({ dataDir: 'memory://', loadDataDir: image });
  }
  const seeds = new Map<string, string>();
  for (const table of seededTables) {
    const [row] = await queryRows<{ rows: string | null }>(
      handle.db,
      sql.raw(`SELECT json_agg(t)::text AS rows FROM ${table} t`),
    );
    seeds.set(table, row?.rows ?? '[]');
  }
  return {
    ...handle,
    url,
    async reset() {
      // The audit log refuses TRUNCATE by trigger; a test resets it as a superuser bypassing triggers.
      await handle.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`SET LOCAL session_replication_role = replica`));
        await tx.execute(sql.raw(`TRUNCATE ${[...tables, ...seededTables].join(', ')} CASCADE`));
        for (const table of [...seededTables].reverse())
          await tx.execute(
            sql`INSERT INTO ${sql.identifier(table)} SELECT * FROM json_populate_recordset(null::${sql.identifier(table)}, ${seeds.get(table)!}::json)`,
          );
      });
    },
    async close() {
      await handle.close();
      await drop();
    },
  };
}

/** Runs SQL with triggers bypassed: what a person with database superuser rights could do. */
export async function tamper(database: DatabaseHandle, statement: string) {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql.raw(`SET LOCAL session_replication_role = replica`));
    await tx.execute(sql.raw(statement));
  });
}

/**
 * A private database for this test file: opened before its tests, closed after them, and emptied
 * before each test unless `reset: false`. Use it at the top level of a test file.
 */
export function privateTestDatabase(options: { reset?: boolean } = {}): TestDatabase {
  let opened: TestDatabase | undefined;
  beforeAll(async () => {
    opened = await openTestDatabase();
  });
  afterAll(async () => {
    await opened?.close();
  });
  if (options.reset !== false) {
    beforeEach(async () => {
      await opened!.reset();
    });
  }
  return new Proxy({} as TestDatabase, {
    get(_target, key) {
      if (!opened) throw new Error('the test database opens in beforeAll: use it inside a hook or a test');
      return Reflect.get(opened, key) as unknown;
    },
  });
}
