import { describe, expect, it } from 'vitest';
import { defaultBrand } from './brand.ts';
import { displayCode } from './sign-in-code.ts';
import { signInCodeSms, signInHelpSms, smsEncoding, smsSegments } from './sms.ts';

describe('SMS segments', () => {
  it('counts GSM-7 texts at 160 characters, then 153 per segment', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2 });
    expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3 });
  });

  it('counts the extension characters (€, [, ~ …) twice', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1 });
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2 });
  });

  it('falls to UCS-2 (70, then 67 per segment) on one character outside GSM-7, such as ó', () => {
    expect(smsEncoding('teléfono, señora, ¿qué?')).toBe('GSM-7');
    expect(smsEncoding('código')).toBe('UCS-2');
    expect(smsSegments(`código${'a'.repeat(64)}`)).toEqual({ encoding: 'UCS-2', segments: 1 });
    expect(smsSegments(`código${'a'.repeat(65)}`)).toEqual({ encoding: 'UCS-2', segments: 2 });
  });
});

describe('sign-in SMS texts', () => {
  it('show the code in two groups of three, whatever form it comes in', () => {
    expect(displayCode('k7m2pq')).toBe('K7M-2PQ');
    expect(displayCode('K7M 2PQ')).toBe('K7M-2PQ');
    expect(signInCodeSms({ brand: defaultBrand, locale: 'en', code: 'K7M2PQ', expiresMinutes: 10 })).toBe(
      "Harbor Health: your sign-in code is K7M-2PQ. It expires in 10 minutes. Don't share it.",
    );
  });

  it('carry the brand the configuration names', () => {
    const brand = { ...defaultBrand, name: 'Bayside Care', supportPhone: '+1 (555) 010-0199' };
    expect(signInCodeSms({ brand, locale: 'es', code: 'ABC123', expiresMinutes: 15 })).toBe(
      'Bayside Care: su clave para entrar es ABC-123. Vence en 15 minutos. No la comparta con nadie.',
    );
    expect(signInHelpSms({ brand, locale: 'en' })).toBe(
      "Bayside Care: more than one account uses this phone number, so we can't text a sign-in code. Please call us at +1 (555) 010-0199 and we'll help you sign in.",
    );
  });
});
