// Keeps PHI and secrets out of logs and metric labels.

const EMAIL = /^[^@\s/]+@[^@\s/]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HAS_DIGITS = /\d{3,}/;
const TOKENISH = /^[A-Za-z0-9_\-.~%+=]{20,}$/;
const PHONEISH = /^\+?[\d\s().-]{7,}$/;

/**
 * A path safe to log or count: no query string, and any segment that could identify a person or
 * carry a secret (ids, emails, phone numbers, tokens) replaced by a placeholder.
 */
export function sanitizePath(url: string): string {
  const pathOnly = url.split(/[?#]/, 1)[0] ?? '/';
  const segments = pathOnly.split('/').map((raw) => {
    if (raw === '') return raw;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return ':invalid';
    }
    if (/^\d+$/.test(segment)) return segment.length >= 3 ? ':id' : raw;
    if (EMAIL.test(segment)) return ':email';
    if (UUID.test(segment)) return ':uuid';
    if (PHONEISH.test(segment)) return ':phone';
    if (TOKENISH.test(segment)) return ':token';
    if (HAS_DIGITS.test(segment)) return ':id';
    return segment.length > 64 ? ':long' : raw;
  });
  return segments.join('/') || '/';
}

/** pino redaction paths: whatever the log call, these fields never reach the output. */
export const redactPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.passwordHash',
  '*.totp',
  '*.code',
  '*.token',
  '*.secret',
  '*.totpSecret',
  '*.email',
  '*.phone',
  '*.givenName',
  '*.familyName',
  '*.birthDate',
  'secrets',
];
