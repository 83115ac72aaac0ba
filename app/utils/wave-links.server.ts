import * as cookie from 'cookie';

/** Holds a wave message's link token between the link and the page that reports the visit. */
export const OPENED_COOKIE = 'cw_opened';

export function hasPendingOpen(request: Request): boolean {
  return Boolean(cookie.parse(request.headers.get('cookie') ?? '')[OPENED_COOKIE]);
}
