// A wave's email as patients get it, for the frame on the wave's page: sample links only, and headers of
// its own so that only our own staff pages may frame it and it can load nothing but images and styles.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { renderPreviewEmail, waveRoles } from '../utils/waves-view.server.ts';

const previewQuery = z.object({
  locale: z.enum(['en', 'es']).catch('en'),
  after: z.enum(['0', '1']).catch('0'),
});

const frameHeaders = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
  'X-Frame-Options': 'SAMEORIGIN',
  'Cache-Control': 'no-store',
};

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, waveRoles);
  const { services } = args.context;
  const wave = await services.waves.find(args.params.waveId ?? '');
  if (!wave) throw new Response('There is no such wave.', { status: 404 });
  const query = previewQuery.parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const html = await renderPreviewEmail(services, wave, query.locale, query.after === '1');
  // The server sets a page-wide policy (no framing at all, scripts by nonce) before Remix runs, and the
  // Remix adapter appends rather than replaces: take those off this one response so ours is the only one.
  const { res } = args.context.node;
  for (const name of Object.keys(frameHeaders)) res.removeHeader(name);
  return new Response(html, { headers: frameHeaders });
}
