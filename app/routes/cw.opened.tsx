// The browser reports that a patient arrived through a wave message's link (a POST from the page, so a
// mail scanner fetching the link does not count as the patient).
import type { ActionFunctionArgs } from '@remix-run/node';
import * as cookie from 'cookie';
import { requireCsrf } from '../utils/csrf.server.ts';
import { OPENED_COOKIE } from '../utils/wave-links.server.ts';

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const token = cookie.parse(request.headers.get('cookie') ?? '')[OPENED_COOKIE];
  if (token) await context.services.waveLinks.recordOpen(token);
  return new Response(null, {
    status: 204,
    headers: {
      'Cache-Control': 'no-store',
      'Set-Cookie': cookie.serialize(OPENED_COOKIE, '', {
        path: '/',
        maxAge: 0,
        httpOnly: true,
        sameSite: 'lax',
      }),
    },
  });
}

export function loader() {
  return new Response('Not found', { status: 404 });
}
