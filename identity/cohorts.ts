import { asc, count, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { cohorts, patients } from '../db/schema/index.ts';

/** Each cohort with its phase, cutover date and number of patients: counts only, no one identified. */
export async function summarizeCohorts(db: Db) {
  return db
    .select({
      name: cohorts.name,
      phase: cohorts.phase,
      cutoverDate: cohorts.cutoverDate,
      patients: count(patients.id),
    })
    .from(cohorts)
    .leftJoin(patients, eq(patients.cohortId, cohorts.id))
    .groupBy(cohorts.id)
    .orderBy(asc(cohorts.name));
}
