// The delivery function identity is handed (identity/sign-in-delivery.ts): picks the template for the
// message's kind and the patient's language, and sends it on the channel the message names.
import type { Brand } from '../emails/brand.ts';
import type { RenderedEmail } from '../emails/render.ts';
import { signInCodeSms, signInHelpSms } from '../emails/sms.ts';
import type {
  DeliverSignInMessage,
  SignInDeliveryResult,
  SignInMessage,
} from '../identity/sign-in-delivery.ts';
import type { EmailChannel } from './channels/email.ts';
import type { ChannelSendResult } from './channels/send-result.ts';
import type { SmsChannel } from './channels/sms.ts';

export interface SignInDeliveryDeps {
  email: Pick<EmailChannel, 'send'>;
  sms: Pick<SmsChannel, 'send'>;
  brand: Brand;
  /** The portal's public URL, so a logo given as a site path can show in email. */
  publicUrl?: string | undefined;
}

export function createSignInDelivery(deps: SignInDeliveryDeps): DeliverSignInMessage {
  const { brand, publicUrl } = deps;

  async function sendEmail(
    message: SignInMessage,
    render: () => Promise<RenderedEmail>,
  ): Promise<SignInDeliveryResult> {
    const to = message.patient.email;
    if (!to) return { ok: false, reason: 'no_address' };
    const { subject, html, text } = await render();
    return toDeliveryResult(
      await deps.email.send({ to, subject, html, text, kind: message.kind, patientId: message.patient.id }),
    );
  }

  async function sendSms(message: SignInMessage, body: string): Promise<SignInDeliveryResult> {
    const to = message.patient.phone;
    if (!to) return { ok: false, reason: 'no_address' };
    return toDeliveryResult(
      await deps.sms.send({ to, body, kind: message.kind, patientId: message.patient.id }),
    );
  }

  return async function deliverSignInMessage(message) {
    const { locale } = message.patient;
    switch (message.kind) {
      case 'sign_in_link':
        return sendEmail(message, async () =>
          (await emailTemplates.link()).renderSignInLinkEmail({
            brand,
            locale,
            link: message.link,
            code: message.code,
            expiresMinutes: message.expiresMinutes,
            givenName: message.patient.givenName,
            assetBaseUrl: publicUrl,
          }),
        );
      case 'sign_in_code':
        return sendSms(
          message,
          signInCodeSms({ brand, locale, code: message.code, expiresMinutes: message.expiresMinutes }),
        );
      case 'sign_in_help':
        return message.channel === 'email'
          ? sendEmail(message, async () =>
              (await emailTemplates.help()).renderSignInHelpEmail({ brand, locale, assetBaseUrl: publicUrl }),
            )
          : sendSms(message, signInHelpSms({ brand, locale }));
    }
  };
}

// The React email components take about a second to load (their barrel brings Tailwind along):
// loaded on the first email, not by every process that wires the services.
const emailTemplates = {
  link: () => import('../emails/sign-in-link.tsx'),
  help: () => import('../emails/sign-in-help.tsx'),
};

/** The contract's result: the channel's `detail` (a provider's code) stays in the channel's log. */
function toDeliveryResult(result: ChannelSendResult): SignInDeliveryResult {
  return result.ok ? { ok: true, messageId: result.messageId } : { ok: false, reason: result.reason };
}
