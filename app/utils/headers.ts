import type { HeadersFunction } from '@remix-run/node';

/**
 * Lets a Retry-After that an action or loader set (a lockout, a rate limit, a full queue) reach the
 * browser on a full-document request too. Sign-in pages never belong in a shared cache.
 */
export const signInHeaders: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const headers = new Headers({ 'Cache-Control': 'no-store' });
  const retryAfter = actionHeaders.get('Retry-After') ?? loaderHeaders.get('Retry-After');
  if (retryAfter) headers.set('Retry-After', retryAfter);
  return headers;
};
