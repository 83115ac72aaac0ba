// Delegated password check (lazy migration): for a patient whose exported hash is missing or unusable,
// ask the legacy platform whether the password is right. Signed request, hard timeout, and a circuit
// breaker so a slow or failing legacy platform cannot slow sign-in for everyone else.
import { createHmac } from 'node:crypto';
import { z } from 'zod';

export type LegacyVerdict = 'verified' | 'wrong_password' | 'locked' | 'disabled' | 'unknown';
export type LegacyVerifyResult = LegacyVerdict | 'unavailable';

export interface LegacyVerifier {
  verify(input: { legacyId: string; identifier: string; password: string }): Promise<LegacyVerifyResult>;
  /** 'open' while the breaker refuses calls. */
  state(): 'closed' | 'open' | 'half_open';
}

export interface LegacyVerifierOptions {
  url: string;
  /** HMAC-SHA256 key; the legacy side checks `X-Causeway-Signature: v1=<hex of HMAC(timestamp + "." + body)>`. */
  secret: string;
  timeoutMs: number;
  /** Consecutive failures (timeouts, 5xx, garbage) that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before one trial call. */
  cooldownMs: number;
  now?: () => number;
  onCall?: (outcome: LegacyVerifyResult | 'breaker_open') => void;
}

const answerSchema = z.object({
  result: z.enum(['verified', 'wrong_password', 'locked', 'disabled', 'unknown']),
});

export function signLegacyRequest(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function createLegacyVerifier(options: LegacyVerifierOptions): LegacyVerifier {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | null = null;
  let trialInFlight = false;

  function state(): 'closed' | 'open' | 'half_open' {
    if (openedAt === null) return 'closed';
    return now() - openedAt >= options.cooldownMs ? 'half_open' : 'open';
  }

  function recordFailure() {
    failures += 1;
    if (failures >= options.failureThreshold || openedAt !== null) openedAt = now();
  }

  return {
    state,
    async verify({ legacyId, identifier, password }) {
      const current = state();
      if (current === 'open' || (current === 'half_open' && trialInFlight)) {
        options.onCall?.('breaker_open');
        return 'unavailable';
      }
      trialInFlight = current === 'half_open';
      const body = JSON.stringify({ legacy_id: legacyId, identifier, password });
      const timestamp = String(Math.floor(now() / 1000));
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-causeway-timestamp': timestamp,
            'x-causeway-signature': signLegacyRequest(options.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
          redirect: 'error',
        });
        const parsed = response.ok ? answerSchema.safeParse(await response.json().catch(() => null)) : null;
        if (!parsed?.success) {
          recordFailure();
          options.onCall?.('unavailable');
          return 'unavailable';
        }
        failures = 0;
        openedAt = null;
        options.onCall?.(parsed.data.result);
        return parsed.data.result;
      } catch {
        recordFailure();
        options.onCall?.('unavailable');
        return 'unavailable';
      } finally {
        trialInFlight = false;
      }
    },
  };
}
