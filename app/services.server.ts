// What the server hands every loader and action through Remix's load context.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../infra/env.ts';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';
import type { DatabaseHandle } from '../db/client.ts';
import type { FieldCipher } from '../identity/encryption.ts';
import type { PatientSignIn } from '../identity/patient-sign-in.ts';
import type { ActiveStaffSession, StaffService } from '../identity/staff/staff-service.ts';
import type { Oidc } from '../identity/oidc/provider.ts';
import type { PatientSessions } from '../identity/patient-sessions.ts';
import type { SignInGuard } from '../identity/sign-in-guard.ts';
import type { PatientWelcome } from '../identity/patient-welcome.ts';
import type { SignInLinks } from '../identity/sign-in-links.ts';
import type { SignInRecord } from '../identity/record-sign-in.ts';
import type { LegacyLinks } from '../identity/legacy-bridge/legacy-links.ts';
import type { LegacySessionBridge } from '../identity/legacy-bridge/legacy-session.ts';
import type { Messaging } from '../messaging/messaging.ts';
import type { MessageWebhooks } from '../messaging/webhooks.ts';
import type { UrlRouter } from '../identity/url-rules/router.ts';
import type { Waves } from '../messaging/waves/waves.ts';
import type { WaveLinks } from '../messaging/waves/attribution.ts';
import type { SignInTally } from '../messaging/waves/sign-in-tally.ts';
import type { Support } from '../messaging/support/support.ts';

/** Everything but the OIDC provider: what one-shot commands need. */
export type CoreServices = Omit<AppServices, 'oidc'>;

export interface AppServices {
  config: Config;
  /** The clock every service was wired with (the real one, or a test's). */
  now: () => Date;
  database: DatabaseHandle;
  logger: Logger;
  metrics: Metrics;
  /** Encrypts secrets and personal data at rest (TOTP secrets, raw import rows). */
  cipher: FieldCipher;
  staff: StaffService;
  patientSignIn: PatientSignIn;
  signInGuard: SignInGuard;
  patientSessions: PatientSessions;
  patientWelcome: PatientWelcome;
  /** Email and SMS (real SMTP/Twilio when configured, the outbox otherwise). */
  messaging: Messaging;
  /** Texts, status callbacks and email events coming back, and unsubscribe links. */
  messageWebhooks: MessageWebhooks;
  signInLinks: SignInLinks;
  /** Support requests: intake (help page, texts, email replies), notices, patients' view, SLA upkeep. */
  support: Support;
  /** Transition message waves: drafts, approval, the ledger, reports. */
  waves: Waves;
  /** Wakes this process's wave workers (when it runs them) after an approval or a resume. */
  waveWake: { wake(): void };
  /** Wave messages' links: where they land, and the visit the page reports. */
  waveLinks: WaveLinks;
  /** Sign-in outcomes per minute, for the waves' circuit breaker. */
  signInTally: SignInTally;
  /** The legacy platform's magic links, when LEGACY_LINK_PATHS is set. */
  legacyLinks: LegacyLinks | null;
  /** The legacy platform's session cookie, when LEGACY_SESSION_COOKIE is set. */
  legacySession: LegacySessionBridge | null;
  /** Marks a passwordless sign-in on the patient and audits it (the clock is the server's). */
  recordSignIn(record: Omit<SignInRecord, 'at'>): Promise<{ firstSignIn: boolean }>;
  /** The preserved patient URL: legacy paths to the platform each patient's cohort is on. */
  urlRouter: UrlRouter;
  oidc: Oidc;
}

declare module '@remix-run/node' {
  interface AppLoadContext {
    services: AppServices;
    /** Per-request nonce for the Content-Security-Policy. */
    cspNonce: string;
    /** The form token that matches this browser's CSRF cookie. */
    csrfToken: string;
    requestId: string;
    /** The Node request and response (the OIDC provider reads its interaction cookie from them). */
    node: { req: IncomingMessage; res: ServerResponse };
    /** The caller's network address (after trusted proxies), for rate limits. */
    clientAddress: string | undefined;
    /** The staff session behind this request, looked up once (set by requireStaff). */
    staffSession?: Promise<ActiveStaffSession | null>;
  }
  interface Future {
    v3_singleFetch: true;
  }
}
