// What the signed-in patient's pages need: where their cohort stands in the move, when their session
// ends, and their saved choices (read from the form, saved by identity/patient-preferences.ts).
import * as cookie from 'cookie';
import type { AppLoadContext } from '@remix-run/node';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { cohorts, type CohortPhase } from '../../db/schema/index.ts';
import type { ActivePatientSession } from '../../identity/patient-sessions.ts';
import {
  updatePreferences,
  type PreferencesOutcome,
  type PreferencesProblem,
} from '../../identity/patient-preferences.ts';
import type { TransitionStage, TransitionStandingView } from '../components/patient-shell.tsx';
import { LOCALE_COOKIE } from '../i18n/locale.server.ts';
import { resources, type Locale } from '../i18n/resources.ts';

/**
 * The three things a patient needs to know, whatever the phase's name: the move is coming
 * (pending, or no cohort yet), the new portal is ready (pilot — its patients try the new platform
 * first —, migrating, cut_over), or the move is paused (rolled_back).
 */
export function transitionStage(phase: CohortPhase | null): TransitionStage {
  switch (phase) {
    case null:
    case 'pending':
      return 'soon';
    case 'pilot':
    case 'migrating':
    case 'cut_over':
      return 'ready';
    case 'rolled_back':
      return 'paused';
  }
}

const dateFormats: Record<Locale, string> = { en: 'en-US', es: 'es-US' };

/** Where the patient's cohort stands today (routing reads the same phase). */
export async function patientStanding(
  context: AppLoadContext,
  active: ActivePatientSession,
  locale: Locale,
  today = new Date(),
): Promise<TransitionStandingView> {
  const cohortId = active.patient.cohortId;
  const [cohort] = cohortId
    ? await context.services.database.db
        .select({ phase: cohorts.phase, cutoverDate: cohorts.cutoverDate })
        .from(cohorts)
        .where(eq(cohorts.id, cohortId))
    : [];
  const stage = transitionStage(cohort?.phase ?? null);
  const upcoming =
    stage === 'soon' && cohort?.cutoverDate && cohort.cutoverDate > today.toISOString().slice(0, 10)
      ? cohort.cutoverDate
      : null;
  return {
    stage,
    moveDate: upcoming
      ? new Intl.DateTimeFormat(dateFormats[locale], { dateStyle: 'long', timeZone: 'UTC' }).format(
          new Date(`${upcoming}T00:00:00Z`),
        )
      : null,
    legacyUrl: stage === 'paused' ? context.services.config.platforms.legacyUrl : null,
  };
}

/** The session's end, in the patient's own time zone and the page's language. */
export function formatSessionEnd(expiresAt: Date, locale: Locale, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'long',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  };
  try {
    return new Intl.DateTimeFormat(dateFormats[locale], { ...options, timeZone }).format(expiresAt);
  } catch {
    // An imported zone the runtime does not know: the server's zone still names the hour.
    return new Intl.DateTimeFormat(dateFormats[locale], options).format(expiresAt);
  }
}

/**
 * What the page needs to warn before the session ends: the time left is measured here, so a wrong
 * clock on the patient's device cannot make the warning early or late.
 */
export interface SessionView {
  expiresInMs: number;
  endsAt: string;
}

export function sessionView(
  expiresAt: Date,
  active: ActivePatientSession,
  locale: Locale,
  now = Date.now(),
): SessionView {
  return {
    expiresInMs: Math.max(0, expiresAt.getTime() - now),
    endsAt: formatSessionEnd(expiresAt, locale, active.patient.timeZone),
  };
}

/** The choices form: a checkbox sends its value only when ticked. */
const preferencesForm = z.object({
  emailOptIn: z.literal('on').optional(),
  smsOptIn: z.literal('on').optional(),
  locale: z.enum(['en', 'es']),
});

export type PreferencesFormProblem = PreferencesProblem | 'invalid';

/**
 * Saves the account page's choices for the signed-in patient (never another: the id comes from the
 * session, not the form). The text-message wording the patient saw is kept with their consent.
 */
export async function savePreferencesForm(
  form: FormData,
  context: AppLoadContext,
  active: ActivePatientSession,
  pageLocale: Locale,
): Promise<PreferencesOutcome | { ok: false; reason: 'invalid' }> {
  const parsed = preferencesForm.safeParse({
    emailOptIn: form.get('emailOptIn') ?? undefined,
    smsOptIn: form.get('smsOptIn') ?? undefined,
    locale: form.get('locale') ?? undefined,
  });
  if (!parsed.success) return { ok: false, reason: 'invalid' };
  const words = resources[pageLocale].translation.account;
  return updatePreferences(
    context.services.database.db,
    active.patient.id,
    {
      emailOptIn: parsed.data.emailOptIn === 'on',
      smsOptIn: parsed.data.smsOptIn === 'on',
      locale: parsed.data.locale,
    },
    { smsConsentWording: `[${pageLocale}] ${words.smsOptIn} ${words.smsTerms}` },
  );
}

/** Remembers the language in this browser too, so the next page is in it at once. */
export function localeCookie(context: AppLoadContext, locale: Locale): string {
  return cookie.serialize(LOCALE_COOKIE, locale, {
    httpOnly: true,
    sameSite: 'lax',
    secure: context.services.config.secure,
    path: '/',
    maxAge: 365 * 24 * 60 * 60,
  });
}
