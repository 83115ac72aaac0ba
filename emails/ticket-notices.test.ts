import { describe, expect, it } from 'vitest';
import { defaultBrand } from './brand.ts';
import { findClinicalWords } from './clinical-words.ts';
import type { EmailLocale } from './layout.tsx';
import { smsSegments } from './sms.ts';
import {
  renderTicketReceivedEmail,
  renderTicketReplyEmail,
  ticketReceivedSms,
  ticketReplySms,
} from './ticket-notices.tsx';

const PORTAL = 'https://portal.harbor.example';
const HELP = `${PORTAL}/help`;
const locales: EmailLocale[] = ['en', 'es'];

const expected = {
  en: {
    received: { subject: 'We received your request #1042', button: 'See your requests' },
    reply: { subject: 'You have a new reply to request #1042', button: 'Read the reply' },
    genuine: 'How to know this message is really from us',
  },
  es: {
    received: { subject: 'Recibimos su solicitud #1042', button: 'Ver sus solicitudes' },
    reply: { subject: 'Tiene una respuesta nueva a su solicitud #1042', button: 'Leer la respuesta' },
    genuine: 'Cómo saber que este mensaje es realmente nuestro',
  },
} as const;

describe.each(locales)('ticket notices (%s)', (locale) => {
  const renders = { received: renderTicketReceivedEmail, reply: renderTicketReplyEmail };

  it.each(['received', 'reply'] as const)(
    'the %s email names the reference and links to the portal, nothing more',
    async (kind) => {
      const email = await renders[kind]({
        brand: defaultBrand,
        locale,
        portalUrl: PORTAL,
        reference: '1042',
      });
      expect(email.subject).toBe(expected[locale][kind].subject);
      expect(email.html).toContain(`<html dir="ltr" lang="${locale}">`);
      expect(email.html).toContain(`href="${HELP}"`);
      expect(email.text).toContain(`${expected[locale][kind].button} ${HELP}`);
      expect(email.text).toContain('#1042');
      expect(email.text).toContain(defaultBrand.supportPhone);
      expect(email.text).toContain(expected[locale].genuine);
      expect(email.text).not.toMatch(/<\/?[a-z][^>]*>/i);
      expect(findClinicalWords(`${email.subject}\n${email.text}`)).toEqual([]);
    },
  );

  it('shows the reference the same way whether or not it comes with "#"', async () => {
    const a = await renderTicketReplyEmail({
      brand: defaultBrand,
      locale,
      portalUrl: PORTAL,
      reference: '#1042',
    });
    const b = await renderTicketReplyEmail({
      brand: defaultBrand,
      locale,
      portalUrl: PORTAL,
      reference: '1042',
    });
    expect(a).toEqual(b);
  });

  it('has texts that start with the brand, link to the portal and fit one GSM-7 segment or two', () => {
    for (const text of [
      ticketReceivedSms({ brand: defaultBrand, locale, portalUrl: PORTAL, reference: '1042' }),
      ticketReplySms({ brand: defaultBrand, locale, portalUrl: PORTAL, reference: '1042' }),
    ]) {
      expect(text.startsWith(`${defaultBrand.name}: `)).toBe(true);
      expect(text).toContain('#1042');
      expect(text.endsWith(HELP)).toBe(true);
      expect(findClinicalWords(text)).toEqual([]);
      expect(smsSegments(text).encoding).toBe('GSM-7');
      expect(smsSegments(text).segments).toBeLessThanOrEqual(2);
    }
  });
});

it('the English texts read as written', () => {
  expect(ticketReceivedSms({ brand: defaultBrand, locale: 'en', portalUrl: PORTAL, reference: '1042' })).toBe(
    `Harbor Health: we received your request #1042. We'll let you know when we reply. See your requests: ${HELP}`,
  );
  expect(ticketReplySms({ brand: defaultBrand, locale: 'en', portalUrl: PORTAL, reference: '#1042' })).toBe(
    `Harbor Health: you have a new reply to request #1042. For your privacy, read it in the portal: ${HELP}`,
  );
});
