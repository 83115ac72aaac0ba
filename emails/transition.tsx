// The staged emails each cohort hears while the portal moves to the new system, from the first notice to
// the last call. They say only that the portal is moving and how to sign in: nothing about the patient's
// health or account, since anyone who sees the inbox can read them.
import { Button, Heading, Link, Section, Text } from '@react-email/components';
import type { CSSProperties } from 'react';
import type { Brand } from './brand.ts';
import {
  EmailLayout,
  heading,
  mutedColor,
  paragraph,
  telHref,
  textColor,
  type EmailLocale,
  primaryButton,
} from './layout.tsx';
import { renderEmail, type RenderedEmail } from './render.ts';

export const transitionStages = [
  'announcement',
  'reminder',
  'day_before',
  'cutover_day',
  'nudge',
  'last_call',
] as const;

export type TransitionStage = (typeof transitionStages)[number];

export interface TransitionEmailProps {
  stage: TransitionStage;
  brand: Brand;
  locale: EmailLocale;
  /** The cohort's cutover day as 'YYYY-MM-DD', or null while it is not set. */
  cutoverDate: string | null;
  /** Whether the cohort has already moved: changes the tense and what the patient is asked to do. */
  afterCutover: boolean;
  /** The portal's public URL: the address patients already know, shown so they can check the link. */
  portalUrl: string;
  /**
   * Where "Sign in" goes: the delivery's own link, on the portal's host (the email promises patients
   * that our links go nowhere else).
   */
  link: string;
  /** One-click unsubscribe from transition messages only, also on the portal's host. */
  unsubscribeUrl: string;
  givenName?: string | null | undefined;
  /** The portal's public URL, to show a logo given as a site path. */
  assetBaseUrl?: string | undefined;
}

/** What a whole wave shares: everything but the per-patient link, unsubscribe link and name. */
export type TransitionTemplateProps = Omit<TransitionEmailProps, 'link' | 'unsubscribeUrl' | 'givenName'>;

/**
 * The cutover day written out in the patient's language ("March 3, 2026", "3 de marzo de 2026").
 * The day is a calendar date, not an instant, so it is read and written in UTC.
 */
export function formatCutoverDate(date: string, locale: EmailLocale): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const instant = new Date(`${date}T00:00:00Z`);
  if (!match || Number.isNaN(instant.getTime()) || instant.getUTCDate() !== Number(match[3])) {
    throw new RangeError(`cutover date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(instant);
}

/** The host patients see in their browser's address bar ("portal.example.com"). */
export function portalHost(portalUrl: string): string {
  return new URL(portalUrl).host;
}

type Stages<T> = Record<TransitionStage, T>;

interface TransitionCopy {
  subject: Stages<(brand: string, after: boolean) => string>;
  heading: Stages<(after: boolean, date: string | null) => string>;
  lead: Stages<(brand: string, after: boolean, date: string | null) => string>;
  preview: (after: boolean, date: string | null) => string;
  greeting: (name: string | null) => string;
  stepsHeading: (after: boolean, date: string | null) => string;
  steps: (host: string) => string[];
  cta: (after: boolean, date: string | null) => string;
  button: string;
  fallback: string;
  why: (brand: string, after: boolean) => string;
  stop: string;
  stopScope: string;
}

const en: TransitionCopy = {
  subject: {
    announcement: (b, after) =>
      after ? `${b}: our patient portal has moved to a new system` : `${b}: our patient portal is moving`,
    reminder: (b, after) =>
      after
        ? `Reminder: please sign in to the new ${b} portal`
        : `Reminder: the ${b} patient portal is moving`,
    day_before: (b, after) =>
      after ? `Please sign in to the new ${b} portal` : `Tomorrow: the ${b} patient portal moves`,
    cutover_day: (b, after) =>
      after ? `The new ${b} portal is ready` : `Today: the ${b} patient portal moves`,
    nudge: (b, after) =>
      after ? `Have you signed in to the new ${b} portal?` : `Get ready: the ${b} patient portal is moving`,
    last_call: (b, after) =>
      after
        ? `Last reminder: sign in to the new ${b} portal`
        : `Last reminder: the ${b} patient portal is moving`,
  },
  heading: {
    announcement: (after) =>
      after ? 'Our patient portal has moved to a new system' : 'Our patient portal is moving to a new system',
    reminder: (after, d) =>
      after
        ? 'Reminder: our portal has moved'
        : d
          ? `Reminder: our portal moves on ${d}`
          : 'Reminder: our portal is moving soon',
    day_before: (after) => (after ? 'Our portal has moved' : 'Our portal moves tomorrow'),
    cutover_day: (after) => (after ? 'Our new portal is ready' : 'Our portal moves today'),
    nudge: (after) => (after ? 'Please sign in to our new portal' : 'Get ready: our portal is moving'),
    last_call: (after) =>
      after ? 'Last reminder: sign in to our new portal' : 'Last reminder before our portal moves',
  },
  lead: {
    announcement: (b, after, d) =>
      after
        ? `${d ? `On ${d}, ${b}` : b} moved its patient portal to a new system. The portal address did not change.`
        : `${d ? `On ${d}, ${b}` : `Soon, ${b}`} is moving its patient portal to a new system. The portal address will stay the same.`,
    reminder: (_b, after, d) =>
      after
        ? `Our patient portal moved to a new system${d ? ` on ${d}` : ''}. If you have not signed in since then, please sign in once.`
        : `We wrote to you about our patient portal. It moves to a new system ${d ? `on ${d}` : 'soon'}.`,
    day_before: (_b, after, d) =>
      after
        ? `Our patient portal moved to a new system${d ? ` on ${d}` : ''}. If you have not signed in since then, please sign in once.`
        : `Tomorrow${d ? `, ${d},` : ''} our patient portal moves to a new system.`,
    cutover_day: (_b, after, d) =>
      after
        ? `Today${d ? `, ${d},` : ''} our patient portal moved to a new system. It is ready for you now.`
        : `Today${d ? `, ${d},` : ''} our patient portal moves to a new system. When it is ready, please sign in once.`,
    nudge: (_b, after, d) =>
      after
        ? `Our patient portal moved to a new system${d ? ` on ${d}` : ''}. If you have not signed in yet, it only takes a minute.`
        : `Our patient portal moves to a new system ${d ? `on ${d}` : 'soon'}. When it does, please sign in once. It only takes a minute.`,
    last_call: (_b, after, d) =>
      after
        ? `This is our last email about the move. Our patient portal moved to a new system${d ? ` on ${d}` : ''}. Please sign in once, so you are ready when you need it.`
        : `This is our last email before our patient portal moves to a new system ${d ? `on ${d}` : 'soon'}.`,
  },
  preview: (after, d) =>
    after
      ? 'Sign in once at the same address. You do not need a new account.'
      : `${d ? `Starting ${d}` : 'After the move'}, sign in once at the same address. You do not need a new account.`,
  greeting: (name) => (name ? `Hi ${name},` : 'Hello,'),
  stepsHeading: (after, d) =>
    after ? 'What you need to do' : d ? `What to do starting ${d}` : 'What to do after the move',
  steps: (host) => [
    `Sign in once at the same address you already use: ${host}.`,
    'Use what you sign in with now: your email or phone number, and your password. If you do not remember your password, you can ask for a sign-in link or code instead.',
    'You do not need to make a new account or sign up again.',
  ],
  cta: (after, d) =>
    after
      ? 'Tap this button to sign in now:'
      : d
        ? 'Starting that day, tap this button to sign in:'
        : 'After the move, tap this button to sign in:',
  button: 'Sign in',
  fallback: 'If the button does not work, copy this link into your web browser:',
  why: (b, after) =>
    after
      ? `You are getting this email because ${b} moved its patient portal to a new system.`
      : `You are getting this email because ${b} is moving its patient portal to a new system.`,
  stop: 'Stop transition emails',
  stopScope:
    'This stops only emails about the move. You will still get sign-in codes and replies to your requests.',
};

const es: TransitionCopy = {
  subject: {
    announcement: (b, after) =>
      after
        ? `${b}: nuestro portal de pacientes cambió a un sistema nuevo`
        : `${b}: nuestro portal de pacientes va a cambiar`,
    reminder: (b, after) =>
      after
        ? `Recordatorio: por favor, entre al portal nuevo de ${b}`
        : `Recordatorio: el portal de pacientes de ${b} va a cambiar`,
    day_before: (b, after) =>
      after ? `Por favor, entre al portal nuevo de ${b}` : `Mañana cambia el portal de pacientes de ${b}`,
    cutover_day: (b, after) =>
      after ? `El portal nuevo de ${b} ya está listo` : `Hoy cambia el portal de pacientes de ${b}`,
    nudge: (b, after) =>
      after ? `¿Ya entró al portal nuevo de ${b}?` : `Prepárese: el portal de pacientes de ${b} va a cambiar`,
    last_call: (b, after) =>
      after
        ? `Último recordatorio: entre al portal nuevo de ${b}`
        : `Último recordatorio: el portal de pacientes de ${b} va a cambiar`,
  },
  heading: {
    announcement: (after) =>
      after
        ? 'Nuestro portal de pacientes cambió a un sistema nuevo'
        : 'Nuestro portal de pacientes va a cambiar a un sistema nuevo',
    reminder: (after, d) =>
      after
        ? 'Recordatorio: nuestro portal ya cambió'
        : d
          ? `Recordatorio: nuestro portal cambia el ${d}`
          : 'Recordatorio: nuestro portal cambia pronto',
    day_before: (after) => (after ? 'Nuestro portal ya cambió' : 'Nuestro portal cambia mañana'),
    cutover_day: (after) => (after ? 'Nuestro portal nuevo ya está listo' : 'Hoy cambia nuestro portal'),
    nudge: (after) =>
      after ? 'Por favor, entre a nuestro portal nuevo' : 'Prepárese: nuestro portal va a cambiar',
    last_call: (after) =>
      after ? 'Último recordatorio: entre a nuestro portal nuevo' : 'Último recordatorio antes del cambio',
  },
  lead: {
    announcement: (b, after, d) =>
      after
        ? `${d ? `El ${d}, ${b}` : b} cambió su portal de pacientes a un sistema nuevo. La dirección del portal no cambió.`
        : `${d ? `El ${d}, ${b}` : `Pronto, ${b}`} va a cambiar su portal de pacientes a un sistema nuevo. La dirección del portal seguirá siendo la misma.`,
    reminder: (_b, after, d) =>
      after
        ? `Nuestro portal de pacientes cambió a un sistema nuevo${d ? ` el ${d}` : ''}. Si no ha entrado desde entonces, por favor entre una vez.`
        : `Le escribimos sobre nuestro portal de pacientes. Va a cambiar a un sistema nuevo ${d ? `el ${d}` : 'pronto'}.`,
    day_before: (_b, after, d) =>
      after
        ? `Nuestro portal de pacientes cambió a un sistema nuevo${d ? ` el ${d}` : ''}. Si no ha entrado desde entonces, por favor entre una vez.`
        : `Mañana${d ? `, ${d},` : ''} nuestro portal de pacientes cambia a un sistema nuevo.`,
    cutover_day: (_b, after, d) =>
      after
        ? `Hoy${d ? `, ${d},` : ''} nuestro portal de pacientes cambió a un sistema nuevo. Ya está listo para usted.`
        : `Hoy${d ? `, ${d},` : ''} nuestro portal de pacientes cambia a un sistema nuevo. Cuando esté listo, por favor entre una vez.`,
    nudge: (_b, after, d) =>
      after
        ? `Nuestro portal de pacientes cambió a un sistema nuevo${d ? ` el ${d}` : ''}. Si todavía no ha entrado, solo toma un minuto.`
        : `Nuestro portal de pacientes va a cambiar a un sistema nuevo ${d ? `el ${d}` : 'pronto'}. Cuando cambie, por favor entre una vez. Solo toma un minuto.`,
    last_call: (_b, after, d) =>
      after
        ? `Este es nuestro último correo sobre el cambio. Nuestro portal de pacientes cambió a un sistema nuevo${d ? ` el ${d}` : ''}. Por favor, entre una vez para que todo esté listo cuando lo necesite.`
        : `Este es nuestro último correo antes de que nuestro portal de pacientes cambie a un sistema nuevo ${d ? `el ${d}` : 'pronto'}.`,
  },
  preview: (after, d) =>
    after
      ? 'Entre una vez en la misma dirección. No necesita una cuenta nueva.'
      : `${d ? `A partir del ${d}` : 'Después del cambio'}, entre una vez en la misma dirección. No necesita una cuenta nueva.`,
  greeting: (name) => (name ? `Hola, ${name}:` : 'Hola:'),
  stepsHeading: (after, d) =>
    after ? 'Lo que tiene que hacer' : d ? `Qué hacer a partir del ${d}` : 'Qué hacer después del cambio',
  steps: (host) => [
    `Entre una vez en la misma dirección que ya usa: ${host}.`,
    'Use lo mismo que usa ahora para entrar: su correo electrónico o teléfono, y su contraseña. Si no recuerda su contraseña, puede pedir un enlace o un código para entrar.',
    'No tiene que crear una cuenta nueva ni registrarse otra vez.',
  ],
  cta: (after, d) =>
    after
      ? 'Toque este botón para entrar ahora:'
      : d
        ? 'A partir de ese día, toque este botón para entrar:'
        : 'Después del cambio, toque este botón para entrar:',
  button: 'Entrar',
  fallback: 'Si el botón no funciona, copie este enlace en su navegador:',
  why: (b, after) =>
    after
      ? `Recibe este correo porque ${b} cambió su portal de pacientes a un sistema nuevo.`
      : `Recibe este correo porque ${b} va a cambiar su portal de pacientes a un sistema nuevo.`,
  stop: 'No recibir más correos sobre el cambio',
  stopScope:
    'Esto solo detiene los correos sobre el cambio. Seguirá recibiendo sus códigos para entrar y las respuestas a sus solicitudes.',
};

const copy: Record<EmailLocale, TransitionCopy> = { en, es };

const reallyFromUsCopy = {
  en: {
    heading: 'How to know this message is really from us',
    never: 'We will never ask for your password or a sign-in code by email or text message.',
    address: (host: string) =>
      `Our links go only to ${host}, the portal address you already know. You can also type ${host} into your web browser yourself.`,
    call: 'Not sure? Call us at the number you know:',
  },
  es: {
    heading: 'Cómo saber que este mensaje es realmente nuestro',
    never:
      'Nunca le vamos a pedir su contraseña ni un código para entrar por correo electrónico o mensaje de texto.',
    address: (host: string) =>
      `Nuestros enlaces solo llevan a ${host}, la dirección del portal que usted ya conoce. También puede escribir ${host} en su navegador.`,
    call: '¿Tiene dudas? Llámenos al número que ya conoce:',
  },
} as const;

const subheading: CSSProperties = { ...heading, fontSize: '20px', lineHeight: '28px', margin: '8px 0 12px' };

const listStyle: CSSProperties = { ...paragraph, paddingLeft: '24px', margin: '0 0 16px' };

const listItem: CSSProperties = { margin: '0 0 8px' };

const small: CSSProperties = { ...paragraph, fontSize: '15px', lineHeight: '22px', color: mutedColor };

/** "How to know this message is really from us": what we never ask, the address, the known number. */
export function ReallyFromUs(props: { brand: Brand; locale: EmailLocale; host: string }) {
  const t = reallyFromUsCopy[props.locale];
  return (
    <Section
      style={{
        backgroundColor: '#f3f4f6',
        border: '1px solid #d1d5db',
        borderRadius: '8px',
        padding: '16px 20px 4px',
        margin: '8px 0 16px',
      }}
    >
      <Heading as="h2" style={{ ...subheading, margin: '0 0 12px' }}>
        {t.heading}
      </Heading>
      <Text style={paragraph}>{t.never}</Text>
      <Text style={paragraph}>{t.address(props.host)}</Text>
      <Text style={paragraph}>
        {t.call}{' '}
        <Link href={telHref(props.brand.supportPhone)} style={{ color: textColor, fontWeight: 700 }}>
          {props.brand.supportPhone}
        </Link>
        .
      </Text>
    </Section>
  );
}

/** The greeting line; the name is folded to one line so the HTML and text versions agree. */
export function transitionGreeting(locale: EmailLocale, givenName?: string | null): string {
  const name = givenName?.replace(/[\s\p{Z}\p{Cc}\p{Cf}]+/gu, ' ').trim() || null;
  return copy[locale].greeting(name);
}

export function transitionSubject(
  stage: TransitionStage,
  locale: EmailLocale,
  brand: Brand,
  afterCutover = false,
): string {
  return copy[locale].subject[stage](brand.name, afterCutover);
}

function TransitionEmailView(
  props: TransitionTemplateProps & { link: string; unsubscribeUrl: string; greeting: string },
) {
  const { brand, locale, stage, afterCutover: after } = props;
  const t = copy[locale];
  const date = props.cutoverDate === null ? null : formatCutoverDate(props.cutoverDate, locale);
  const host = portalHost(props.portalUrl);
  return (
    <EmailLayout
      brand={brand}
      locale={locale}
      preview={t.preview(after, date)}
      assetBaseUrl={props.assetBaseUrl}
    >
      <Heading as="h1" style={heading}>
        {t.heading[stage](after, date)}
      </Heading>
      <Text style={paragraph}>{props.greeting}</Text>
      <Text style={paragraph}>{t.lead[stage](brand.name, after, date)}</Text>
      <Heading as="h2" style={subheading}>
        {t.stepsHeading(after, date)}
      </Heading>
      <ol style={listStyle}>
        {t.steps(host).map((step) => (
          <li key={step} style={listItem}>
            {step}
          </li>
        ))}
      </ol>
      <Text style={paragraph}>{t.cta(after, date)}</Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button href={props.link} style={{ ...primaryButton, backgroundColor: brand.primaryColor }}>
          {t.button}
        </Button>
      </Section>
      <ReallyFromUs brand={brand} locale={locale} host={host} />
      {/* The text version shows the link beside the button's label already. */}
      <Text style={small} data-skip-in-text="true">
        {t.fallback}{' '}
        <Link
          href={props.link}
          style={{ color: textColor, textDecoration: 'underline', wordBreak: 'break-all' }}
        >
          {props.link}
        </Link>
      </Text>
      <Text style={small}>{t.why(brand.name, after)}</Text>
      <Text style={small}>
        <Link href={props.unsubscribeUrl} style={{ color: textColor, textDecoration: 'underline' }}>
          {t.stop}
        </Link>
      </Text>
      <Text style={small}>{t.stopScope}</Text>
    </EmailLayout>
  );
}

export function TransitionEmail({ link, unsubscribeUrl, givenName, ...rest }: TransitionEmailProps) {
  return (
    <TransitionEmailView
      {...rest}
      link={link}
      unsubscribeUrl={unsubscribeUrl}
      greeting={transitionGreeting(rest.locale, givenName)}
    />
  );
}

export function renderTransitionEmail(props: TransitionEmailProps): Promise<RenderedEmail> {
  return renderEmail(
    transitionSubject(props.stage, props.locale, props.brand, props.afterCutover),
    <TransitionEmail {...props} />,
  );
}

// Markers a wave's template carries where each patient's values go. They pass through React's
// escaping, the href attributes and the plain-text conversion unchanged (the tests hold them to it).
const MARKERS = {
  link: '%%LINK%%',
  unsubscribeUrl: '%%UNSUBSCRIBE%%',
  greeting: '%%GREETING%%',
} as const;
const MARKER_PATTERN = /%%(?:LINK|UNSUBSCRIBE|GREETING)%%/g;

/**
 * Renders a wave's email once, with markers for the per-patient parts; `fillTransitionTemplate` turns it
 * into each patient's email without running React again (a wave can hold 100,000 patients).
 */
export async function renderTransitionTemplate(props: TransitionTemplateProps): Promise<RenderedEmail> {
  const template = await renderEmail(
    transitionSubject(props.stage, props.locale, props.brand, props.afterCutover),
    <TransitionEmailView
      {...props}
      link={MARKERS.link}
      unsubscribeUrl={MARKERS.unsubscribeUrl}
      greeting={MARKERS.greeting}
    />,
  );
  for (const marker of Object.values(MARKERS)) {
    if (!template.html.includes(marker) || !template.text.includes(marker)) {
      throw new Error(`transition template lost its ${marker} marker`);
    }
  }
  return template;
}

/** The same escaping React applies to text and attribute values, so a filled template matches a render. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#x27;';
    }
  });
}

/** One patient's email from a wave's template: the same HTML and text `renderTransitionEmail` gives. */
export function fillTransitionTemplate(
  template: RenderedEmail,
  values: { link: string; unsubscribeUrl: string; givenName?: string | null | undefined },
  locale: EmailLocale,
): RenderedEmail {
  const raw: Record<string, string> = {
    [MARKERS.link]: values.link,
    [MARKERS.unsubscribeUrl]: values.unsubscribeUrl,
    [MARKERS.greeting]: transitionGreeting(locale, values.givenName),
  };
  // One pass, so a value that happens to contain a marker is never filled in again.
  const fill = (source: string, encode: (value: string) => string) =>
    source.replace(MARKER_PATTERN, (marker) => encode(raw[marker]!));
  return {
    subject: template.subject,
    html: fill(template.html, escapeHtml),
    text: fill(template.text, (value) => value),
  };
}
