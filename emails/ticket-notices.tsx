// Notices about a patient's support request. They carry no content from the request or the reply, only
// its reference and a link to read it in the portal, where the patient has signed in.
import { Button, Heading, Section, Text } from '@react-email/components';
import type { Brand } from './brand.ts';
import { EmailLayout, heading, paragraph, primaryButton, type EmailLocale } from './layout.tsx';
import { renderEmail, type RenderedEmail } from './render.ts';
import { portalHost, ReallyFromUs } from './transition.tsx';

export interface TicketNoticeProps {
  brand: Brand;
  locale: EmailLocale;
  /** The portal's public URL; the notice links to its help page. */
  portalUrl: string;
  /** The request's reference as patients see it, such as "1042" or "#1042". */
  reference: string;
  /** The portal's public URL, to show a logo given as a site path. */
  assetBaseUrl?: string | undefined;
  /**
   * Where the button goes instead of the help page: the private link to one request, for someone who
   * wrote without signing in (it reaches only the address they gave).
   */
  link?: string | undefined;
}

export type TicketNoticeSmsInput = Pick<
  TicketNoticeProps,
  'brand' | 'locale' | 'portalUrl' | 'reference' | 'link'
>;

/** Where a patient reads their requests and our replies. */
export function ticketHelpLink(portalUrl: string): string {
  return new URL('/help', portalUrl).toString();
}

function displayReference(reference: string): string {
  return `#${reference.trim().replace(/^#+/, '')}`;
}

const copy = {
  en: {
    received: {
      subject: (ref: string) => `We received your request ${ref}`,
      preview: 'We will let you know when we reply.',
      heading: 'We received your request',
      body: (ref: string) => `Thank you for contacting us. Your request number is ${ref}.`,
      next: 'We will answer in the portal, and we will send you a message when we do. For your privacy, we do not put replies in email.',
      button: 'See your requests',
    },
    reply: {
      subject: (ref: string) => `You have a new reply to request ${ref}`,
      preview: 'Sign in to the portal to read it.',
      heading: 'You have a new reply',
      body: (ref: string) => `We replied to your request ${ref}.`,
      next: 'For your privacy, the reply is in the portal, not in this email. Sign in to read it.',
      button: 'Read the reply',
    },
  },
  es: {
    received: {
      subject: (ref: string) => `Recibimos su solicitud ${ref}`,
      preview: 'Le avisaremos cuando le respondamos.',
      heading: 'Recibimos su solicitud',
      body: (ref: string) => `Gracias por escribirnos. El número de su solicitud es ${ref}.`,
      next: 'Le responderemos en el portal y le enviaremos un mensaje cuando lo hagamos. Para proteger su privacidad, no ponemos las respuestas en el correo.',
      button: 'Ver sus solicitudes',
    },
    reply: {
      subject: (ref: string) => `Tiene una respuesta nueva a su solicitud ${ref}`,
      preview: 'Entre al portal para leerla.',
      heading: 'Tiene una respuesta nueva',
      body: (ref: string) => `Respondimos a su solicitud ${ref}.`,
      next: 'Para proteger su privacidad, la respuesta está en el portal, no en este correo. Entre para leerla.',
      button: 'Leer la respuesta',
    },
  },
} as const;

type NoticeKind = 'received' | 'reply';

function TicketNoticeEmail(props: TicketNoticeProps & { kind: NoticeKind }) {
  const { brand, locale } = props;
  const t = copy[locale][props.kind];
  const ref = displayReference(props.reference);
  return (
    <EmailLayout brand={brand} locale={locale} preview={t.preview} assetBaseUrl={props.assetBaseUrl}>
      <Heading as="h1" style={heading}>
        {t.heading}
      </Heading>
      <Text style={paragraph}>{t.body(ref)}</Text>
      <Text style={paragraph}>{t.next}</Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button
          href={props.link ?? ticketHelpLink(props.portalUrl)}
          style={{ ...primaryButton, backgroundColor: brand.primaryColor }}
        >
          {t.button}
        </Button>
      </Section>
      <ReallyFromUs brand={brand} locale={locale} host={portalHost(props.portalUrl)} />
    </EmailLayout>
  );
}

export function TicketReceivedEmail(props: TicketNoticeProps) {
  return <TicketNoticeEmail {...props} kind="received" />;
}

export function TicketReplyEmail(props: TicketNoticeProps) {
  return <TicketNoticeEmail {...props} kind="reply" />;
}

export function renderTicketReceivedEmail(props: TicketNoticeProps): Promise<RenderedEmail> {
  return renderEmail(
    copy[props.locale].received.subject(displayReference(props.reference)),
    <TicketReceivedEmail {...props} />,
  );
}

export function renderTicketReplyEmail(props: TicketNoticeProps): Promise<RenderedEmail> {
  return renderEmail(
    copy[props.locale].reply.subject(displayReference(props.reference)),
    <TicketReplyEmail {...props} />,
  );
}

const safetyCopy = {
  en: {
    subject: 'If you need help right now',
    reference: (ref: string) =>
      `Your request number is ${ref}. A person on our care team will read your message.`,
    button: 'See your requests',
  },
  es: {
    subject: 'Si necesita ayuda ahora mismo',
    reference: (ref: string) =>
      `El número de su solicitud es ${ref}. Una persona de nuestro equipo de atención leerá su mensaje.`,
    button: 'Ver sus solicitudes',
  },
} as const;

export interface SafetyAnswerProps extends TicketNoticeProps {
  /** What to do right now (911, 988), from the safety screen, in the patient's language. */
  guidance: string;
}

/**
 * The answer to an email whose words suggest an emergency or self-harm: it goes out at once, at any
 * hour, before anyone reads the message. It repeats none of what the patient wrote.
 */
export function SafetyAnswerEmail(props: SafetyAnswerProps) {
  const { brand, locale } = props;
  const t = safetyCopy[locale];
  return (
    <EmailLayout brand={brand} locale={locale} preview={t.subject} assetBaseUrl={props.assetBaseUrl}>
      <Heading as="h1" style={heading}>
        {t.subject}
      </Heading>
      {props.guidance.split(/\n+/).map((line) => (
        <Text key={line} style={paragraph}>
          {line}
        </Text>
      ))}
      <Text style={paragraph}>{t.reference(displayReference(props.reference))}</Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button
          href={props.link ?? ticketHelpLink(props.portalUrl)}
          style={{ ...primaryButton, backgroundColor: brand.primaryColor }}
        >
          {t.button}
        </Button>
      </Section>
      <ReallyFromUs brand={brand} locale={locale} host={portalHost(props.portalUrl)} />
    </EmailLayout>
  );
}

export function renderSafetyAnswerEmail(props: SafetyAnswerProps): Promise<RenderedEmail> {
  return renderEmail(safetyCopy[props.locale].subject, <SafetyAnswerEmail {...props} />);
}

// GSM-7 on purpose, like the other texts: the Spanish avoids á, í, ó and ú.
const sms = {
  en: {
    received: (b: string, ref: string, link: string) =>
      `${b}: we received your request ${ref}. We'll let you know when we reply. See your requests: ${link}`,
    reply: (b: string, ref: string, link: string) =>
      `${b}: you have a new reply to request ${ref}. For your privacy, read it in the portal: ${link}`,
    // The answer to a text: someone who texts may be in trouble, so the crisis lines come every time.
    texted: (b: string, ref: string, link: string) =>
      `${b}: we got your message (request ${ref}). A person will answer you in the portal: ${link}. If this is an emergency, call 911. For a mental-health crisis call or text 988.`,
  },
  es: {
    received: (b: string, ref: string, link: string) =>
      `${b}: recibimos su solicitud ${ref}. Le avisaremos cuando le respondamos. Vea sus solicitudes: ${link}`,
    reply: (b: string, ref: string, link: string) =>
      `${b}: tiene una respuesta nueva a su solicitud ${ref}. Por su privacidad, lea la respuesta en el portal: ${link}`,
    texted: (b: string, ref: string, link: string) =>
      `${b}: recibimos su mensaje (solicitud ${ref}). Una persona le va a contestar en el portal: ${link}. Si es una emergencia, llame al 911. En una crisis de salud mental, llame o mande un texto al 988.`,
  },
} as const;

/** The answer to a text that opened a request: its reference, where the answer will be, the crisis lines. */
export function ticketTextedSms(input: TicketNoticeSmsInput): string {
  return sms[input.locale].texted(
    input.brand.name,
    displayReference(input.reference),
    input.link ?? ticketHelpLink(input.portalUrl),
  );
}

export function ticketReceivedSms(input: TicketNoticeSmsInput): string {
  return sms[input.locale].received(
    input.brand.name,
    displayReference(input.reference),
    input.link ?? ticketHelpLink(input.portalUrl),
  );
}

export function ticketReplySms(input: TicketNoticeSmsInput): string {
  return sms[input.locale].reply(
    input.brand.name,
    displayReference(input.reference),
    input.link ?? ticketHelpLink(input.portalUrl),
  );
}
