import { describe, expect, it } from 'vitest';
import { safetyGuidance, screenForSafety, type SafetyKind } from './safety-screen.ts';

describe('screenForSafety', () => {
  it.each([
    ['I want to kill myself', ['self_harm'], 'en', ['kill myself']],
    ["I've been thinking about suicide", ['self_harm'], 'en', ['suicide']],
    [
      'Sometimes I think everyone would be better off dead without me',
      ['self_harm'],
      'en',
      ['better off dead'],
    ],
    ['I keep cutting myself', ['self_harm'], 'en', ['cutting myself']],
    ['My husband has chest pain and is sweating', ['emergency'], 'en', ['chest pain']],
    ['I think my dad is having a stroke', ['emergency'], 'en', ['stroke']],
    ['She passed out and has a seizure', ['emergency'], 'en', ['passed out', 'seizure']],
    ['Pienso en suicidarme', ['self_harm'], 'es', ['suicidarme']],
    ['Ya no quiero vivir', ['self_harm'], 'es', ['no quiero vivir']],
    ['Quiero hacerme daño', ['self_harm'], 'es', ['hacerme dano']],
    ['Mi esposo tiene dolor en el pecho', ['emergency'], 'es', ['dolor en el pecho']],
    ['Mi mamá se desmayó y no despierta', ['emergency'], 'es', ['desmayo', 'no despierta']],
    ['Creo que es un ataque al corazón', ['emergency'], 'es', ['ataque al corazon']],
  ] as const)('%j hits %j in %s', (text, kinds, language, terms) => {
    expect(screenForSafety(text)).toEqual({ hit: true, kinds, language, terms });
  });

  it('reports both kinds, self-harm first, when a message has both', () => {
    expect(screenForSafety('I took an overdose on purpose and now I cannot breathe')).toEqual({
      hit: true,
      kinds: ['self_harm', 'emergency'],
      language: 'en',
      terms: ['overdose on purpose', 'cannot breathe', 'overdose'],
    });
  });

  it('reports Spanish when both languages hit', () => {
    expect(screenForSafety('Help, mi hijo tiene una sobredosis, he is unconscious')).toEqual({
      hit: true,
      kinds: ['emergency'],
      language: 'es',
      terms: ['unconscious', 'sobredosis'],
    });
  });

  it('counts a bare 911 as English, the portal language it cannot tell apart', () => {
    expect(screenForSafety('Llamé al 9-1-1')).toEqual({
      hit: true,
      kinds: ['emergency'],
      language: 'en',
      terms: ['911'],
    });
  });

  it.each(['SUICÍDIO', 'Suicidio', 'suicidio', 'ＳＵＩＣＩＤＩＯ'])(
    'ignores accents, case and width in %j',
    (text) => {
      expect(screenForSafety(text).terms).toEqual(['suicidio']);
    },
  );

  it.each(["I can't breathe", 'I cant breathe', 'I can’t breathe', 'I can´t breathe', 'I CAN`T BREATHE'])(
    'accepts the apostrophe in %j',
    (text) => {
      expect(screenForSafety(text).terms).toEqual(['cant breathe']);
    },
  );

  it('matches a phrase across punctuation, line breaks and runs of spaces', () => {
    expect(screenForSafety('I just want to... kill\n\n  myself!!').terms).toEqual(['kill myself']);
    expect(screenForSafety('Quiero quitarme\r\nla   vida.').terms).toEqual(['quitarme la vida']);
    expect(screenForSafety('self-harm').terms).toEqual(['self harm']);
  });

  it.each([
    'please stop texting me',
    'STOP',
    'I need a refill of my medication',
    'I forgot my password',
    "I can't sign in",
    'Please update my emergency contact to my sister',
    'Actualicen mi contacto de emergencia, por favor',
    'This is not an emergency, but my bill looks wrong',
    'No es una emergencia, solo una pregunta',
    'Non-emergency question about my therapist appointment',
    'I need to skill myself up on the new portal',
    'We watched a killer whale show',
    'My new number is 312-911-4455',
    'Quiero cambiar mi cita para el martes',
  ])('does not hit %j', (text) => {
    expect(screenForSafety(text)).toEqual({ hit: false, kinds: [], language: null, terms: [] });
  });

  it('still hits other terms beside an excluded phrase', () => {
    expect(screenForSafety('Update my emergency contact, I have chest pain')).toEqual({
      hit: true,
      kinds: ['emergency'],
      language: 'en',
      terms: ['chest pain'],
    });
    expect(screenForSafety('Is my emergency contact told if I go to the emergency room?').terms).toEqual([
      'emergency',
    ]);
  });
});

// The GSM 03.38 default alphabet, without the extension table: none of the texts should need it.
const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

const KIND_SETS: readonly (readonly SafetyKind[])[] = [
  ['self_harm'],
  ['emergency'],
  ['self_harm', 'emergency'],
];

describe('safetyGuidance', () => {
  for (const locale of ['en', 'es'] as const)
    for (const form of ['sms', 'text'] as const)
      for (const kinds of KIND_SETS)
        it(`gives 911, 988 and a person in ${locale} ${form} for ${kinds.join(' and ')}`, () => {
          const text = safetyGuidance(locale, kinds, form);
          expect(text).toContain('911');
          expect(text).toContain('988');
          expect(text).toContain(
            locale === 'en'
              ? 'A person from our team will also read your message'
              : 'Una persona de nuestro equipo también',
          );
        });

  for (const locale of ['en', 'es'] as const)
    for (const kinds of KIND_SETS)
      it(`fits the ${locale} SMS for ${kinds.join(' and ')} in two GSM-7 segments`, () => {
        const text = safetyGuidance(locale, kinds, 'sms');
        expect([...text].filter((ch) => !GSM7.has(ch))).toEqual([]);
        // Two segments even with a brand name of up to 50 characters and ": " in front.
        expect(text.length).toBeLessThanOrEqual(306 - 52);
      });

  it('leads with 988 for self-harm and with 911 for an emergency', () => {
    for (const locale of ['en', 'es'] as const)
      for (const form of ['sms', 'text'] as const) {
        const selfHarm = safetyGuidance(locale, ['self_harm'], form);
        expect(selfHarm.indexOf('988')).toBeLessThan(selfHarm.indexOf('911'));
        const emergency = safetyGuidance(locale, ['emergency'], form);
        expect(emergency.indexOf('911')).toBeLessThan(emergency.indexOf('988'));
      }
  });

  it('tells Spanish speakers how to reach the Lifeline in Spanish', () => {
    expect(safetyGuidance('es', ['self_harm'], 'text')).toContain('Llame o envíe un mensaje de texto al 988');
    expect(safetyGuidance('es', ['emergency'], 'text')).toContain('llame o envíe un mensaje de texto al 988');
    for (const kinds of KIND_SETS)
      for (const form of ['sms', 'text'] as const)
        expect(safetyGuidance('es', kinds, form)).toContain('marque 988 y oprima 2');
  });

  it('gives both numbers the same way when no kind is known', () => {
    expect(safetyGuidance('en', [], 'sms')).toBe(safetyGuidance('en', ['self_harm', 'emergency'], 'sms'));
    expect(safetyGuidance('es', ['emergency', 'self_harm'], 'text')).toBe(
      safetyGuidance('es', ['self_harm', 'emergency'], 'text'),
    );
  });
});
