import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'area' | 'status'>;
  staffSignIns: Counter<'outcome'>;
  patientSignIns: Counter<'outcome'>;
  passwordVerifySeconds: Histogram<'family'>;
  legacyVerifyCalls: Counter<'outcome'>;
  oidcEvents: Counter<'event'>;
  passwordlessEvents: Counter<'event'>;
}

/** One registry per server, so two servers in one process (tests) do not collide. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'causeway_' });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'causeway_http_request_duration_seconds',
      help: 'HTTP request duration by area of the site (never by raw path, which may hold PHI)',
      labelNames: ['method', 'area', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    staffSignIns: new Counter({
      name: 'causeway_staff_sign_ins_total',
      help: 'Staff sign-in attempts by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    patientSignIns: new Counter({
      name: 'causeway_patient_password_sign_ins_total',
      help: 'Patient password sign-ins by outcome (success, invalid_credentials, ambiguous_account, locked, busy, too_many_attempts)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    passwordVerifySeconds: new Histogram({
      name: 'causeway_password_verify_seconds',
      help: 'Time to check a patient password, by the stored hash family',
      labelNames: ['family'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    legacyVerifyCalls: new Counter({
      name: 'causeway_legacy_verify_calls_total',
      help: 'Delegated password checks sent to the legacy platform, by outcome (breaker_open when refused)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    oidcEvents: new Counter({
      name: 'causeway_oidc_events_total',
      help: 'OIDC provider events: authorizations, tokens issued by grant type, refusals, revocations, sign-outs',
      labelNames: ['event'],
      registers: [registry],
    }),
    passwordlessEvents: new Counter({
      name: 'causeway_passwordless_events_total',
      help: 'Sign-in links and codes: sent, not sent (by reason), redeemed; legacy links and sessions used',
      labelNames: ['event'],
      registers: [registry],
    }),
  };
}

/** The first path segment, from a fixed list, as a low-cardinality label free of PHI. */
export function areaOf(path: string): string {
  const first = path.split('/')[1] ?? '';
  const known = ['staff', 'oidc', 'interaction', 'login', 'account', 'help', 'webhooks', 'assets'];
  if (first === '') return 'home';
  if (['healthz', 'readyz', 'metrics'].includes(first)) return 'ops';
  return known.includes(first) ? first : 'other';
}
