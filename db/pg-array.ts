import type { SQL } from 'drizzle-orm';
// A PostgreSQL array literal as one text parameter (`${pgArray(values)}::text[]`), so a batch of any size
// is one parameter per column whatever the driver (PGlite or node-postgres).
export function pgArray(values: readonly (string | number | boolean | null | undefined)[]): string {
  const items = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    const text = String(value);
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

/** Runs raw SQL on PGlite or node-postgres alike and returns its rows, typed by the caller. */
export async function queryRows<T>(
  db: { execute: (query: SQL) => Promise<unknown> },
  query: SQL,
): Promise<T[]> {
  const result = (await db.execute(query)) as { rows: T[] };
  return result.rows;
}
