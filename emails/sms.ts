// SMS texts beside the emails: short, with the brand's name first, and written in GSM-7 characters
// where the language allows (one character outside GSM-7, such as "ó", makes the whole message UCS-2
// and 2–3 times as many segments). The Spanish avoids á, í, ó and ú on purpose.
import type { Brand } from './brand.ts';
import type { EmailLocale } from './layout.tsx';
import { displayCode } from './sign-in-code.ts';

const code = {
  en: (brand: string, c: string, minutes: number) =>
    `${brand}: your sign-in code is ${c}. It expires in ${minutes} minutes. Don't share it.`,
  es: (brand: string, c: string, minutes: number) =>
    `${brand}: su clave para entrar es ${c}. Vence en ${minutes} minutos. No la comparta con nadie.`,
} as const;

const help = {
  en: (brand: string, phone: string) =>
    `${brand}: more than one account uses this phone number, so we can't text a sign-in code. Please call us at ${phone} and we'll help you sign in.`,
  es: (brand: string, phone: string) =>
    `${brand}: hay varias cuentas con este teléfono y no podemos enviarle una clave. Llame al ${phone} y le ayudaremos a entrar.`,
} as const;

/** The text with a sign-in code (the same request's code that an email would carry). */
export function signInCodeSms(input: {
  brand: Brand;
  locale: EmailLocale;
  code: string;
  expiresMinutes: number;
}): string {
  return code[input.locale](input.brand.name, displayCode(input.code), input.expiresMinutes);
}

/** Sent instead of a code when more than one account shares the number: no code, only the phone. */
export function signInHelpSms(input: { brand: Brand; locale: EmailLocale }): string {
  return help[input.locale](input.brand.name, input.brand.supportPhone);
}

// The GSM 03.38 default alphabet, and its extension table (each of those costs two characters).
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENDED = new Set('^{}\\[~]|€\f');

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export function smsEncoding(text: string): SmsEncoding {
  for (const ch of text) if (!GSM7_BASIC.has(ch) && !GSM7_EXTENDED.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

/** How many segments a carrier bills for this text (160/153 GSM-7 characters, 70/67 UCS-2 units). */
export function smsSegments(text: string): { encoding: SmsEncoding; segments: number } {
  const encoding = smsEncoding(text);
  if (encoding === 'GSM-7') {
    let units = 0;
    for (const ch of text) units += GSM7_EXTENDED.has(ch) ? 2 : 1;
    return { encoding, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  const units = text.length; // UTF-16 code units, as UCS-2 counts them
  return { encoding, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
