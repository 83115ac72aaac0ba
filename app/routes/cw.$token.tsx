// The link in a wave message: to the sign-in page in the patient's language. A GET changes nothing; the
// token rides along in a short cookie so the page can report the visit (see cw.opened.tsx).
import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import * as cookie from 'cookie';
import { OPENED_COOKIE } from '../utils/wave-links.server.ts';

export async function loader({ params, context }: LoaderFunctionArgs) {
  const landing = await context.services.waveLinks.landing(params.token ?? '');
  if (!landing) return redirect('/login', { headers: { 'Cache-Control': 'no-store' } });
  return redirect(`/login?lng=${landing.locale}`, {
    status: 303,
    headers: {
      'Cache-Control': 'no-store',
      'Set-Cookie': cookie.serialize(OPENED_COOKIE, params.token!, {
        httpOnly: true,
        sameSite: 'lax',
        secure: context.services.config.secure,
        path: '/',
        maxAge: 60 * 60,
      }),
    },
  });
}
