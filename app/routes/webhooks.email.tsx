// The email provider's events: bounces, complaints, deliveries, and forwarded mailto: unsubscribes.
// No CSRF token: the body is signed (X-Causeway-Signature), so it is read raw, exactly as signed.
import type { ActionFunctionArgs } from '@remix-run/node';

export async function action({ request, context }: ActionFunctionArgs) {
  const answer = await context.services.messageWebhooks.emailEvents({
    rawBody: await request.text(),
    signatureHeader: request.headers.get('x-causeway-signature'),
  });
  const body =
    answer.status === 200
      ? answer.result
      : answer.status === 400
        ? { error: answer.error }
        : { error: 'forbidden' };
  return Response.json(body, { status: answer.status, headers: { 'Cache-Control': 'no-store' } });
}
