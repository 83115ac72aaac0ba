import { describe, expect, it } from 'vitest';
import { waveStage } from '../db/schema/waves.ts';
import { defaultBrand } from './brand.ts';
import { assertNoClinicalWords, findClinicalWords } from './clinical-words.ts';
import type { EmailLocale } from './layout.tsx';
import { smsSegments } from './sms.ts';
import { transitionSms, transitionSmsPreview } from './transition-sms.ts';
import {
  fillTransitionTemplate,
  formatCutoverDate,
  renderTransitionEmail,
  renderTransitionTemplate,
  transitionStages,
  transitionSubject,
  type TransitionEmailProps,
} from './transition.tsx';

const PORTAL = 'https://portal.harbor.example';
const HOST = 'portal.harbor.example';
// A delivery link as long as the SMS budget assumes (40 characters).
const LINK = `${PORTAL}/w/3k.AbCdEfG`;
const UNSUBSCRIBE = `${PORTAL}/unsubscribe/3k.AbCdEfGhIjKlMnOpQrStUv`;
const locales: EmailLocale[] = ['en', 'es'];

const genuine = {
  en: {
    heading: 'How to know this message is really from us',
    never: 'We will never ask for your password or a sign-in code by email or text message.',
    stop: 'Stop transition emails',
    date: 'September 30, 2026',
  },
  es: {
    heading: 'Cómo saber que este mensaje es realmente nuestro',
    never:
      'Nunca le vamos a pedir su contraseña ni un código para entrar por correo electrónico o mensaje de texto.',
    stop: 'No recibir más correos sobre el cambio',
    date: '30 de septiembre de 2026',
  },
} as const;

function props(overrides: Partial<TransitionEmailProps> = {}): TransitionEmailProps {
  return {
    stage: 'announcement',
    brand: defaultBrand,
    locale: 'en',
    cutoverDate: '2026-09-30',
    afterCutover: false,
    portalUrl: PORTAL,
    link: LINK,
    unsubscribeUrl: UNSUBSCRIBE,
    givenName: 'Maria',
    assetBaseUrl: PORTAL,
    ...overrides,
  };
}

const matrix = transitionStages.flatMap((stage) =>
  locales.flatMap((locale) => [false, true].map((afterCutover) => ({ stage, locale, afterCutover }))),
);

const anyTag = /<\/?[a-z][^>]*>/i;

describe('transition stages', () => {
  it('are the stages a wave can speak for', () => {
    expect([...transitionStages]).toEqual(waveStage.enumValues);
  });
});

describe('cutover date', () => {
  it("is written out in the patient's language, whatever the server's time zone", () => {
    expect(formatCutoverDate('2026-03-03', 'en')).toBe('March 3, 2026');
    expect(formatCutoverDate('2026-03-03', 'es')).toBe('3 de marzo de 2026');
    expect(formatCutoverDate('2027-01-01', 'en')).toBe('January 1, 2027');
    expect(formatCutoverDate('2026-12-31', 'es')).toBe('31 de diciembre de 2026');
  });

  it('refuses a value that is not a calendar day', () => {
    expect(() => formatCutoverDate('2026-02-30', 'en')).toThrow(RangeError);
    expect(() => formatCutoverDate('30/09/2026', 'en')).toThrow(RangeError);
    expect(() => formatCutoverDate('2026-09-30T00:00:00Z', 'en')).toThrow(RangeError);
  });
});

describe.each(matrix)(
  '$stage email ($locale, after cutover: $afterCutover)',
  ({ stage, locale, afterCutover }) => {
    const t = genuine[locale];

    it('says what to do, links to the portal, and shows how to check it is from us', async () => {
      const email = await renderTransitionEmail(props({ stage, locale, afterCutover }));

      expect(email.subject).toBe(transitionSubject(stage, locale, defaultBrand, afterCutover));
      expect(email.subject).toContain(defaultBrand.name);
      expect(email.html).toContain(`<html dir="ltr" lang="${locale}">`);
      expect(email.html).toContain(`href="${LINK}"`);
      expect(email.html).toContain(`href="${UNSUBSCRIBE}"`);
      expect(email.html).toContain('href="tel:+15550100100"');

      expect(email.text).toContain(locale === 'en' ? `Sign in ${LINK}` : `Entrar ${LINK}`);
      expect(email.text).toContain(`${t.stop} ${UNSUBSCRIBE}`);
      expect(email.text).toContain(locale === 'en' ? 'Hi Maria,' : 'Hola, Maria:');
      expect(email.text).toContain(defaultBrand.name);
      expect(email.text).toContain(defaultBrand.supportPhone);
      expect(email.text).toContain(t.heading);
      expect(email.text).toContain(t.never);
      expect(email.text).toContain(HOST);
      expect(email.text).not.toContain('%%');
      expect(email.text).not.toMatch(anyTag);
    });

    it('carries no clinical words, in the subject, the text or the text message', async () => {
      const email = await renderTransitionEmail(props({ stage, locale, afterCutover }));
      expect(findClinicalWords(email.subject)).toEqual([]);
      expect(findClinicalWords(email.text)).toEqual([]);
      const sms = transitionSms({
        stage,
        locale,
        brand: defaultBrand,
        link: LINK,
        cutoverDate: '2026-09-30',
        afterCutover,
      });
      expect(findClinicalWords(sms)).toEqual([]);
    });

    it('works before a cutover date is set', async () => {
      const email = await renderTransitionEmail(props({ stage, locale, afterCutover, cutoverDate: null }));
      expect(email.text).not.toMatch(/null|undefined|invalid/i);
      expect(email.text).not.toContain('2026');
      expect(email.text).toContain(t.never);
      const sms = transitionSms({
        stage,
        locale,
        brand: defaultBrand,
        link: LINK,
        cutoverDate: null,
        afterCutover,
      });
      expect(sms).not.toMatch(/null|undefined|invalid/i);
      expect(smsSegments(sms).segments).toBeLessThanOrEqual(2);
    });

    it('has a text message that starts with the brand, links, offers STOP and HELP, and fits two GSM-7 segments', () => {
      const preview = transitionSmsPreview({
        stage,
        locale,
        brand: defaultBrand,
        link: LINK,
        cutoverDate: '2026-09-30',
        afterCutover,
      });
      expect(preview.text.startsWith(`${defaultBrand.name}: `)).toBe(true);
      expect(preview.text).toContain(` ${LINK} `);
      expect(preview.text).toMatch(/STOP/);
      expect(preview.text).toMatch(/HELP/);
      expect(preview).toEqual({ text: preview.text, ...smsSegments(preview.text) });
      expect(preview.encoding).toBe('GSM-7');
      expect(preview.segments).toBeLessThanOrEqual(2);
    });
  },
);

describe('before and after the cutover', () => {
  it("names the cutover day in the patient's language, in the future before it and in the past after it", async () => {
    const before = await renderTransitionEmail(props({ stage: 'announcement' }));
    const after = await renderTransitionEmail(props({ stage: 'announcement', afterCutover: true }));
    expect(before.text).toContain(
      'On September 30, 2026, Harbor Health is moving its patient portal to a new system.',
    );
    expect(before.text).toContain('Starting that day, tap this button to sign in:');
    expect(after.text).toContain(
      'On September 30, 2026, Harbor Health moved its patient portal to a new system.',
    );
    expect(after.text).toContain('Tap this button to sign in now:');

    const es = await renderTransitionEmail(props({ stage: 'cutover_day', locale: 'es', afterCutover: true }));
    expect(es.text).toContain(
      'Hoy, 30 de septiembre de 2026, nuestro portal de pacientes cambió a un sistema nuevo.',
    );
  });

  it('asks for no new account, only one sign-in with what the patient uses now', async () => {
    const en = await renderTransitionEmail(props({ stage: 'nudge', afterCutover: true }));
    expect(en.text).toContain(`Sign in once at the same address you already use: ${HOST}.`);
    expect(en.text).toContain('You do not need to make a new account or sign up again.');
    const es = await renderTransitionEmail(props({ stage: 'nudge', locale: 'es', afterCutover: true }));
    expect(es.text).toContain(`Entre una vez en la misma dirección que ya usa: ${HOST}.`);
  });

  it('says the unsubscribe covers only transition emails', async () => {
    const en = await renderTransitionEmail(props());
    expect(en.text).toContain(
      'This stops only emails about the move. You will still get sign-in codes and replies to your requests.',
    );
  });

  it('greets by name, or plainly without one', async () => {
    expect((await renderTransitionEmail(props({ givenName: null }))).text).toContain('\nHello,\n');
    expect((await renderTransitionEmail(props({ givenName: '  ', locale: 'es' }))).text).toContain(
      '\nHola:\n',
    );
  });
});

describe('wave templates', () => {
  const cases: {
    name: string;
    template: Omit<TransitionEmailProps, 'link' | 'unsubscribeUrl' | 'givenName'>;
    values: { link: string; unsubscribeUrl: string; givenName?: string | null };
  }[] = [
    {
      name: 'English, before, with a plain name',
      template: {
        stage: 'announcement',
        brand: defaultBrand,
        locale: 'en',
        cutoverDate: '2026-09-30',
        afterCutover: false,
        portalUrl: PORTAL,
      },
      values: { link: LINK, unsubscribeUrl: UNSUBSCRIBE, givenName: 'Maria' },
    },
    {
      name: 'Spanish, after, with markup characters in the name and the links',
      template: {
        stage: 'nudge',
        brand: defaultBrand,
        locale: 'es',
        cutoverDate: '2026-09-30',
        afterCutover: true,
        portalUrl: PORTAL,
        assetBaseUrl: PORTAL,
      },
      values: {
        link: `${PORTAL}/w/a?b=1&c="2"&d='3'`,
        unsubscribeUrl: `${PORTAL}/u/x?y=<z>&w=1`,
        givenName: `Zoë <b>"O'Brien" & Co</b>`,
      },
    },
    {
      name: 'English, no name, no date',
      template: {
        stage: 'last_call',
        brand: { ...defaultBrand, name: 'Bayside & Co "Care"' },
        locale: 'en',
        cutoverDate: null,
        afterCutover: true,
        portalUrl: PORTAL,
      },
      values: { link: LINK, unsubscribeUrl: UNSUBSCRIBE, givenName: null },
    },
    {
      name: 'Spanish, a name with extra spaces and a line break',
      template: {
        stage: 'day_before',
        brand: defaultBrand,
        locale: 'es',
        cutoverDate: '2026-01-01',
        afterCutover: false,
        portalUrl: PORTAL,
      },
      values: { link: LINK, unsubscribeUrl: UNSUBSCRIBE, givenName: '  María\n  José  ' },
    },
    {
      name: 'a value that looks like a marker is not filled twice',
      template: {
        stage: 'reminder',
        brand: defaultBrand,
        locale: 'en',
        cutoverDate: '2026-09-30',
        afterCutover: false,
        portalUrl: PORTAL,
      },
      values: { link: LINK, unsubscribeUrl: UNSUBSCRIBE, givenName: '%%LINK%%' },
    },
  ];

  it.each(cases)('fill the same email a full render gives: $name', async ({ template, values }) => {
    const rendered = await renderTransitionTemplate(template);
    for (const marker of ['%%LINK%%', '%%UNSUBSCRIBE%%', '%%GREETING%%']) {
      expect(rendered.html).toContain(marker);
      expect(rendered.text).toContain(marker);
    }
    const filled = fillTransitionTemplate(rendered, values, template.locale);
    const direct = await renderTransitionEmail({ ...template, ...values });
    expect(filled).toEqual(direct);
  });

  it('escape what they fill into the HTML, and leave the text as written', async () => {
    const rendered = await renderTransitionTemplate(cases[1]!.template);
    const filled = fillTransitionTemplate(rendered, cases[1]!.values, 'es');
    expect(filled.html).toContain('Hola, Zoë &lt;b&gt;&quot;O&#x27;Brien&quot; &amp; Co&lt;/b&gt;:');
    expect(filled.html).toContain(`href="${PORTAL}/w/a?b=1&amp;c=&quot;2&quot;&amp;d=&#x27;3&#x27;"`);
    expect(filled.text).toContain(`Hola, Zoë <b>"O'Brien" & Co</b>:`);
    expect(filled.text).toContain(`Entrar ${PORTAL}/w/a?b=1&c="2"&d='3'`);
    expect(filled.html).not.toContain('%%');
  });
});

describe('clinical words', () => {
  it('are found whole, in any case, with or without accents, singular or plural', () => {
    expect(findClinicalWords('Your PRESCRIPTION is ready')).toEqual(['prescription']);
    expect(findClinicalWords('Time for a refill? Check your lab results.')).toEqual([
      'refill',
      'lab',
      'lab result',
    ]);
    expect(findClinicalWords('Sus resultados de laboratorio están listos')).toEqual([
      'laboratorio',
      'resultados de laboratorio',
    ]);
    expect(findClinicalWords('Su diagnóstico')).toEqual(['diagnóstico']);
    expect(findClinicalWords('Su DIAGNOSTICO')).toEqual(['diagnóstico']);
    expect(findClinicalWords('Sintomas y SÍNTOMAS')).toEqual(['síntoma']);
    expect(findClinicalWords('mental\n  health')).toEqual(['mental health']);
    expect(findClinicalWords('prueba de VIH')).toEqual(['VIH']);
    expect(findClinicalWords('Cáncer')).toEqual(['cancer', 'cáncer']);
  });

  it('do not match inside other words', () => {
    expect(
      findClinicalWords('Cancellation policy for the labor day label; Harbor Health; receptionist'),
    ).toEqual([]);
    expect(findClinicalWords('Telemedicine, P.C. · 100 Example Street')).toEqual([]);
  });

  it('stop a message that carries one', async () => {
    const en = await renderTransitionEmail(props({ stage: 'reminder' }));
    expect(() => assertNoClinicalWords('reminder (en)', en.text)).not.toThrow();
    expect(() =>
      assertNoClinicalWords('reminder (en)', `${en.text}\nYour medication refill is ready.`),
    ).toThrow('reminder (en) contains clinical words: medication, refill');

    const es = await renderTransitionEmail(props({ stage: 'reminder', locale: 'es' }));
    expect(() => assertNoClinicalWords('reminder (es)', `${es.text}\nSu receta y su tratamiento.`)).toThrow(
      'reminder (es) contains clinical words: receta, tratamiento',
    );
    const sms = transitionSms({
      stage: 'nudge',
      locale: 'es',
      brand: defaultBrand,
      link: LINK,
      cutoverDate: null,
      afterCutover: true,
    });
    expect(() => assertNoClinicalWords('nudge sms (es)', `${sms} Su embarazo`)).toThrow(/embarazo/);
    expect(() => assertNoClinicalWords('nudge sms (es)', `${sms} DIAGNOSTICO`)).toThrow(/diagnóstico/);
  });
});
