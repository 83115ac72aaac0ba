// What the server hands every loader and action through Remix's load context.
import type { Config } from '../infra/env.ts';
import type { Logger } from '../infra/logger.ts';
import type { Metrics } from '../infra/metrics.ts';
import type { DatabaseHandle } from '../db/client.ts';
import type { FieldCipher } from '../identity/encryption.ts';
import type { PatientSignIn } from '../identity/patient-sign-in.ts';
import type { ActiveStaffSession, StaffService } from '../identity/staff/staff-service.ts';

export interface AppServices {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  metrics: Metrics;
  /** Encrypts secrets and personal data at rest (TOTP secrets, raw import rows). */
  cipher: FieldCipher;
  staff: StaffService;
  patientSignIn: PatientSignIn;
}

declare module '@remix-run/node' {
  interface AppLoadContext {
    services: AppServices;
    /** Per-request nonce for the Content-Security-Policy. */
    cspNonce: string;
    /** The form token that matches this browser's CSRF cookie. */
    csrfToken: string;
    requestId: string;
    /** The staff session behind this request, looked up once (set by requireStaff). */
    staffSession?: Promise<ActiveStaffSession | null>;
  }
  interface Future {
    v3_singleFetch: true;
  }
}
