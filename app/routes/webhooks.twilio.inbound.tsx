// Texts patients send to our number: Twilio's incoming-message webhook. No CSRF token here: Twilio's
// signature (X-Twilio-Signature) authenticates it, and the server lets /webhooks/ past its
// cross-site check.
import type { ActionFunctionArgs } from '@remix-run/node';

export async function action({ request, context }: ActionFunctionArgs) {
  const params = Object.fromEntries(new URLSearchParams(await request.text()));
  const answer = await context.services.messageWebhooks.twilioInbound({
    url: request.url,
    params,
    signature: request.headers.get('x-twilio-signature'),
  });
  if (answer.status !== 200) return new Response(null, { status: answer.status });
  return new Response(answer.twiml, {
    headers: { 'Content-Type': 'text/xml; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
