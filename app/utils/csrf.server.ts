import * as cookie from 'cookie';
import type { AppLoadContext } from '@remix-run/node';
import { CSRF_COOKIE, CSRF_FIELD, isValidCsrf } from '../../infra/csrf.ts';

/** Throws 403 unless the form carries the token that matches this browser's CSRF cookie. */
export function requireCsrf(request: Request, form: FormData, context: AppLoadContext): void {
  const cookieValue = cookie.parse(request.headers.get('cookie') ?? '')[CSRF_COOKIE];
  if (!isValidCsrf(context.services.config.secrets.SESSION_SECRET, cookieValue, form.get(CSRF_FIELD))) {
    throw new Response('This form has expired. Go back, reload the page and try again.', { status: 403 });
  }
}
