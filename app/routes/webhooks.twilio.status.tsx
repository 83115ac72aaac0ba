// Twilio's status callbacks for the texts we sent (queued, sent, delivered, failed …). No CSRF token:
// Twilio's signature covers the whole callback URL, the delivery id in it included.
import type { ActionFunctionArgs } from '@remix-run/node';

export async function action({ request, context }: ActionFunctionArgs) {
  const params = Object.fromEntries(new URLSearchParams(await request.text()));
  const answer = await context.services.messageWebhooks.twilioStatus({
    url: request.url,
    params,
    signature: request.headers.get('x-twilio-signature'),
  });
  return new Response(null, { status: answer.status });
}
