// RFC 9116: how to report a security problem with the portal (the brand's support line).
import type { LoaderFunctionArgs } from '@remix-run/node';

export function loader({ context }: LoaderFunctionArgs) {
  const { brand } = context.services.config;
  const phone = brand.supportPhone.replace(/[^\d+]/g, '');
  const expires = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 19);
  return new Response(`Contact: tel:${phone}\nExpires: ${expires}Z\nPreferred-Languages: en, es\n`, {
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=86400' },
  });
}
