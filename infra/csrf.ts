// Signed double-submit CSRF protection: every browser holds a random cookie, every form carries its HMAC.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CSRF_COOKIE = 'cw_csrf';
export const CSRF_FIELD = 'csrf';

export function csrfTokenFor(secret: string, cookieValue: string): string {
  return createHmac('sha256', secret).update(`csrf:${cookieValue}`).digest('base64url');
}

export function isValidCsrf(secret: string, cookieValue: string | undefined, given: unknown): boolean {
  if (!cookieValue || typeof given !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(secret, cookieValue));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
