// The texts that go with the transition emails: brand first, what to do, one link, how to opt out.
// Each stays within two GSM-7 segments with a 40-character link. The Spanish keeps to GSM-7 on purpose
// (no á, í, ó, ú; é, ñ, ¿ and ¡ are in the alphabet), so "ya cambio" becomes "desde el …, usa".
import type { Brand } from './brand.ts';
import type { EmailLocale } from './layout.tsx';
import { smsSegments, type SmsEncoding } from './sms.ts';
import { formatCutoverDate, type TransitionStage } from './transition.tsx';

export interface TransitionSmsInput {
  stage: TransitionStage;
  locale: EmailLocale;
  brand: Brand;
  /** The delivery's own link on the portal. */
  link: string;
  /** The cohort's cutover day as 'YYYY-MM-DD', or null while it is not set. */
  cutoverDate: string | null;
  afterCutover: boolean;
}

type Body = (b: string, d: string | null, link: string) => string;

const texts: Record<
  EmailLocale,
  { before: Record<TransitionStage, Body>; after: Record<TransitionStage, Body>; optOut: string }
> = {
  en: {
    before: {
      announcement: (b, d, link) =>
        `${b}: ${d ? `on ${d}` : 'soon'} our patient portal moves to a new system at the same address. Then sign in once with what you use now. No new account needed: ${link}`,
      reminder: (b, d, link) =>
        `${b}: a reminder that our patient portal moves to a new system ${d ? `on ${d}` : 'soon'}. Same address, same sign-in, no new account: ${link}`,
      day_before: (b, d, link) =>
        `${b}: tomorrow${d ? `, ${d},` : ''} our patient portal moves to a new system. Same address, same sign-in, no new account. Then sign in once: ${link}`,
      cutover_day: (b, _d, link) =>
        `${b}: today our patient portal moves to a new system. Same address, same sign-in, no new account. When it is ready, sign in once: ${link}`,
      nudge: (b, d, link) =>
        `${b}: our patient portal moves to a new system ${d ? `on ${d}` : 'soon'}. When it does, sign in once with what you use now. It takes a minute: ${link}`,
      last_call: (b, d, link) =>
        `${b}: last reminder, our patient portal moves to a new system ${d ? `on ${d}` : 'soon'}. Same address, same sign-in, no new account: ${link}`,
    },
    after: {
      announcement: (b, d, link) =>
        `${b}: our patient portal moved to a new system${d ? ` on ${d}` : ''}. Same address, same sign-in, no new account. Sign in once: ${link}`,
      reminder: (b, _d, link) =>
        `${b}: a reminder that our patient portal moved to a new system. Please sign in once with what you use now: ${link}`,
      day_before: (b, _d, link) =>
        `${b}: our patient portal moved to a new system. Please sign in once with what you use now: ${link}`,
      cutover_day: (b, _d, link) =>
        `${b}: our new patient portal is ready today. Same address, same sign-in, no new account. Sign in once: ${link}`,
      nudge: (b, _d, link) =>
        `${b}: have you signed in to our new patient portal? Same address, same sign-in. It takes a minute: ${link}`,
      last_call: (b, _d, link) =>
        `${b}: last reminder, please sign in once to our new patient portal. Same address, same sign-in: ${link}`,
    },
    optOut: 'We never ask for your password by text. Reply STOP to opt out, HELP for help.',
  },
  es: {
    before: {
      announcement: (b, d, link) =>
        `${b}: ${d ? `el ${d}` : 'pronto'} nuestro portal cambia a un sistema nuevo. Mismo sitio web, sin cuenta nueva. Luego entre una vez, como siempre: ${link}`,
      reminder: (b, d, link) =>
        `${b}: le recordamos que ${d ? `el ${d}` : 'pronto'} nuestro portal cambia a un sistema nuevo. Mismo sitio web, sin cuenta nueva: ${link}`,
      day_before: (b, d, link) =>
        `${b}: mañana${d ? `, ${d},` : ''} nuestro portal cambia a un sistema nuevo. Mismo sitio web, sin cuenta nueva. Luego entre una vez: ${link}`,
      cutover_day: (b, _d, link) =>
        `${b}: hoy nuestro portal cambia a un sistema nuevo. Mismo sitio web, sin cuenta nueva. Cuando esté listo, entre una vez: ${link}`,
      nudge: (b, d, link) =>
        `${b}: ${d ? `el ${d}` : 'pronto'} nuestro portal cambia a un sistema nuevo. Luego entre una vez con lo que usa ahora. Toma un minuto: ${link}`,
      last_call: (b, d, link) =>
        `${b}: aviso final, ${d ? `el ${d}` : 'pronto'} nuestro portal cambia a un sistema nuevo. Mismo sitio web, sin cuenta nueva: ${link}`,
    },
    after: {
      announcement: (b, d, link) =>
        `${b}: ${d ? `desde el ${d}` : 'ahora'} nuestro portal usa un sistema nuevo. Mismo sitio web, misma forma de entrar, sin cuenta nueva. Entre una vez: ${link}`,
      reminder: (b, _d, link) =>
        `${b}: le recordamos que nuestro portal ya usa un sistema nuevo. Por favor entre una vez con lo que usa ahora: ${link}`,
      day_before: (b, _d, link) =>
        `${b}: nuestro portal ya usa un sistema nuevo. Por favor entre una vez con lo que usa ahora: ${link}`,
      cutover_day: (b, _d, link) =>
        `${b}: hoy estrenamos nuestro portal nuevo. Mismo sitio web, misma forma de entrar, sin cuenta nueva. Entre una vez: ${link}`,
      nudge: (b, _d, link) =>
        `${b}: ¿ya pudo entrar a nuestro portal nuevo? Mismo sitio web, misma forma de entrar. Toma un minuto: ${link}`,
      last_call: (b, _d, link) =>
        `${b}: aviso final, por favor entre una vez a nuestro portal nuevo. Mismo sitio web, misma forma de entrar: ${link}`,
    },
    optOut: 'Nunca le pedimos su contraseña por texto. Responda STOP para cancelar, HELP para ayuda.',
  },
};

export function transitionSms(input: TransitionSmsInput): string {
  const t = texts[input.locale];
  const date = input.cutoverDate === null ? null : formatCutoverDate(input.cutoverDate, input.locale);
  const body = (input.afterCutover ? t.after : t.before)[input.stage];
  return `${body(input.brand.name, date, input.link)} ${t.optOut}`;
}

/** The text with what a carrier will bill for it, for the staff console's preview. */
export function transitionSmsPreview(input: TransitionSmsInput): {
  text: string;
  encoding: SmsEncoding;
  segments: number;
} {
  const text = transitionSms(input);
  return { text, ...smsSegments(text) };
}
