// The check every support request passes before any routing rule: English and Spanish words for a
// medical emergency or self-harm. It is fixed and always on; nothing configures or disables it.
// Safety errs on the side of flagging: a false alarm costs a patient one extra message and a staff
// member a second look, a miss can cost a life. So "I want to die my hair" hits "want to die", "I hurt
// myself when I fell" hits "hurt myself", and "my mom had a stroke in 2019" hits "stroke".

export type SafetyKind = 'emergency' | 'self_harm';

export interface SafetyVerdict {
  hit: boolean;
  /** Which kinds of words were found, each at most once, in the order of SAFETY_KINDS. */
  kinds: SafetyKind[];
  /**
   * Language of the words that hit ('en' | 'es'), or null when nothing hit. When both languages hit,
   * 'es' if any Spanish term hit. A bare "911" belongs to neither language and reports 'en'.
   */
  language: 'en' | 'es' | null;
  /** The list terms that matched (canonical form from the lists, without accents), for the audit log; never the message itself. */
  terms: string[];
}

export const SAFETY_KINDS: readonly SafetyKind[] = ['self_harm', 'emergency'];

// Terms are written as normalise() leaves text: lower case, no accents, no apostrophes ("cant", "dano"),
// one space between words. Each is matched as whole words, so "skill myself" is not "kill myself".
const SELF_HARM_EN = [
  'kill myself',
  'killing myself',
  'suicide',
  'suicidal',
  'end my life',
  'ending my life',
  'end it all',
  'take my own life',
  'take my life',
  'want to die',
  'wanna die',
  'want to be dead',
  'better off dead',
  'hurt myself',
  'hurting myself',
  'harm myself',
  'harming myself',
  'cut myself',
  'cutting myself',
  'self harm',
  'self harming',
  'selfharm',
  'self injury',
  'overdose on purpose',
  'no reason to live',
  'dont want to live',
  'do not want to live',
  'dont want to be alive',
  'not worth living',
  'hang myself',
  'shoot myself',
] as const;

const SELF_HARM_ES = [
  'suicidio',
  'suicidarme',
  'suicidarse',
  'suicida',
  'suicidas',
  'matarme',
  'me voy a matar',
  'me quiero matar',
  'quitarme la vida',
  'no quiero vivir',
  'quiero morir',
  'quiero morirme',
  'hacerme dano',
  'lastimarme',
  // Also hits "cortarme el pelo": a haircut is not what patients write to a portal's support about.
  'cortarme',
  'mejor muerto',
  'mejor muerta',
  'acabar con mi vida',
  'terminar con mi vida',
  'no vale la pena vivir',
  'autolesion',
] as const;

const EMERGENCY_EN = [
  'chest pain',
  'chest pains',
  'cant breathe',
  'cannot breathe',
  'can not breathe',
  'trouble breathing',
  'hard to breathe',
  'not breathing',
  'stopped breathing',
  'heart attack',
  'stroke',
  'unconscious',
  'passed out',
  'fainted',
  'wont wake up',
  'seizure',
  'seizures',
  'overdose',
  'overdosed',
  'overdosing',
  'bleeding heavily',
  'wont stop bleeding',
  'coughing up blood',
  'throwing up blood',
  'throat is closing',
  'throat closing',
  'anaphylaxis',
  'anaphylactic',
  'poisoned',
  'choking',
  'emergency',
] as const;

const EMERGENCY_ES = [
  'dolor de pecho',
  'dolor en el pecho',
  'dolor del pecho',
  'no puedo respirar',
  'no puede respirar',
  'me falta el aire',
  'le falta el aire',
  'ataque al corazon',
  'ataque cardiaco',
  'infarto',
  'derrame cerebral',
  'convulsion',
  'convulsiones',
  'convulsionando',
  // Covers "se desmayó" too.
  'desmayo',
  'me desmaye',
  'desmayado',
  'desmayada',
  'inconsciente',
  'no despierta',
  'sobredosis',
  'sangrado abundante',
  'no para de sangrar',
  'no deja de sangrar',
  // Covers "se me cierra la garganta".
  'cierra la garganta',
  'envenenado',
  'envenenada',
  // Covers "me estoy ahogando" and "se está ahogando".
  'ahogando',
  'me ahogo',
  'se ahoga',
  'emergencia',
] as const;

// Form fields and reassurances that contain the word "emergency" without being one: a patient updating
// their emergency contact must not get a 911 answer. They are cut out before matching, and they only
// ever contain the bare word "emergency"/"emergencia", so they cannot hide any other term
// ("update my emergency contact, I have chest pain" still hits "chest pain").
const EXCLUDED_PHRASES = [
  'emergency contact',
  'emergency contacts',
  'in case of emergency',
  'non emergency',
  'not an emergency',
  'isnt an emergency',
  'contacto de emergencia',
  'contactos de emergencia',
  'en caso de emergencia',
  'no es una emergencia',
  'no es emergencia',
] as const;

interface Term {
  phrase: string;
  kind: SafetyKind;
  /** Null for a number, which is the same in both languages. */
  language: 'en' | 'es' | null;
  pattern: RegExp;
}

// Normalised text holds only letters, digits and single spaces, so a phrase needs no escaping and the
// lookarounds are whole-word boundaries for any alphabet (\b only knows ASCII letters).
function wholeWords(phrase: string, flags = 'u'): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${phrase}(?![\\p{L}\\p{N}])`, flags);
}

function terms(phrases: readonly string[], kind: SafetyKind, language: Term['language']): Term[] {
  return phrases.map((phrase) => ({ phrase, kind, language, pattern: wholeWords(phrase) }));
}

// In the order of SAFETY_KINDS, so that `terms` in a verdict comes out in a stable order.
const TERMS: readonly Term[] = [
  ...terms(SELF_HARM_EN, 'self_harm', 'en'),
  ...terms(SELF_HARM_ES, 'self_harm', 'es'),
  ...terms(EMERGENCY_EN, 'emergency', 'en'),
  ...terms(['911'], 'emergency', null),
  ...terms(EMERGENCY_ES, 'emergency', 'es'),
];

const EXCLUSIONS: readonly RegExp[] = EXCLUDED_PHRASES.map((phrase) => wholeWords(phrase, 'gu'));

function normalise(text: string): string {
  return (
    text
      // Before NFKD, which would turn an acute accent used as an apostrophe ("can´t") into a space.
      .replace(/['’‘ʼ`´]/gu, '')
      .toLowerCase()
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      // "9-1-1" is 911, but "312-911-4455" is a phone number and not a call for help.
      .replace(/(\p{N})[\p{Pd}.](?=\p{N})/gu, '$1')
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()
  );
}

export function screenForSafety(text: string): SafetyVerdict {
  let screened = normalise(text);
  // A bar is neither letter nor digit, so it also stops a phrase from spanning the cut.
  for (const exclusion of EXCLUSIONS) screened = screened.replace(exclusion, '|');

  const found = TERMS.filter((term) => term.pattern.test(screened));
  if (found.length === 0) return { hit: false, kinds: [], language: null, terms: [] };

  const spanish = found.some((term) => term.language === 'es');
  return {
    hit: true,
    kinds: SAFETY_KINDS.filter((kind) => found.some((term) => term.kind === kind)),
    language: spanish ? 'es' : 'en',
    terms: found.map((term) => term.phrase),
  };
}

type Lead = 'self_harm' | 'emergency' | 'both';

// SMS texts are GSM-7 only (the Spanish writes around á, í, ó and ú, as emails/sms.ts does) and stay
// within two segments (306 characters) with room for a brand name of up to 50 characters in front.
const GUIDANCE: Record<'en' | 'es', Record<'sms' | 'text', Record<Lead, string>>> = {
  en: {
    sms: {
      self_harm:
        'You are not alone. Please call or text 988 now to talk with someone who can help, day or night. If you are in danger right now, call 911. A person from our team will also read your message.',
      emergency:
        "If this is an emergency, call 911 now. Please don't wait for us to write back. If you are thinking about hurting yourself, call or text 988. A person from our team will also read your message.",
      both: 'Please get help now. Call 911 if you or someone with you is in danger or very sick. Call or text 988 to talk with someone about thoughts of hurting yourself. A person from our team will also read your message.',
    },
    text: {
      self_harm:
        "Thank you for telling us. You are not alone, and help is there for you right now. Please call or text 988 to reach the 988 Suicide & Crisis Lifeline. It is free, and someone is there to talk with you day or night. If you are in danger right now, call 911. A person from our team will also read your message, but we may not answer right away, so please don't wait for us.",
      emergency:
        "If this is an emergency, call 911 now or go to the nearest emergency room. Please don't wait for us to write back. If you are having thoughts of hurting yourself, call or text 988 to reach the 988 Suicide & Crisis Lifeline, day or night. A person from our team will also read your message.",
      both: "Please get help now. If you or someone with you is in danger or very sick, call 911 or go to the nearest emergency room. If you are having thoughts of hurting yourself or ending your life, call or text 988 to reach the 988 Suicide & Crisis Lifeline. It is free, and someone is there to talk with you day or night. A person from our team will also read your message, but please don't wait for us to write back.",
    },
  },
  es: {
    sms: {
      self_harm:
        'Hay ayuda para usted. Llame o mande un texto al 988 ahora para hablar con alguien, a cualquier hora. En español, marque 988 y oprima 2. Si corre peligro ahora, llame al 911. Una persona de nuestro equipo también va a leer su mensaje.',
      emergency:
        'Si es una emergencia, llame al 911 ahora. No espere nuestra respuesta. Si piensa en hacerse daño, llame o mande un texto al 988 (en español, marque 988 y oprima 2). Una persona de nuestro equipo también va a leer su mensaje.',
      both: 'Busque ayuda ahora. Llame al 911 si usted u otra persona corre peligro o se siente muy mal. Si piensa en hacerse daño, llame o mande un texto al 988 (en español, marque 988 y oprima 2). Una persona de nuestro equipo también va a leer su mensaje.',
    },
    text: {
      self_harm:
        'Gracias por contarnos. Hay ayuda para usted ahora mismo. Llame o envíe un mensaje de texto al 988 para hablar con la Línea 988 de Prevención del Suicidio y Crisis. Para hablar en español, marque 988 y oprima 2. Es gratis y hay alguien para hablar con usted a cualquier hora. Si corre peligro ahora, llame al 911. Una persona de nuestro equipo también leerá su mensaje, pero quizás no le conteste enseguida, así que no espere nuestra respuesta.',
      emergency:
        'Si es una emergencia, llame al 911 ahora o vaya a la sala de emergencias más cercana. No espere nuestra respuesta. Si piensa en hacerse daño, llame o envíe un mensaje de texto al 988 para hablar con la Línea 988 de Prevención del Suicidio y Crisis, a cualquier hora. Para hablar en español, marque 988 y oprima 2. Una persona de nuestro equipo también leerá su mensaje.',
      both: 'Busque ayuda ahora. Si usted u otra persona corre peligro o se siente muy mal, llame al 911 o vaya a la sala de emergencias más cercana. Si piensa en hacerse daño o en quitarse la vida, llame o envíe un mensaje de texto al 988 para hablar con la Línea 988 de Prevención del Suicidio y Crisis. Para hablar en español, marque 988 y oprima 2. Es gratis y hay alguien para hablar con usted a cualquier hora. Una persona de nuestro equipo también leerá su mensaje, pero no espere nuestra respuesta.',
    },
  },
};

/** The answer sent at once on the channel the message came in on. */
export function safetyGuidance(
  locale: 'en' | 'es',
  kinds: readonly SafetyKind[],
  form: 'sms' | 'text',
): string {
  const selfHarm = kinds.includes('self_harm');
  const emergency = kinds.includes('emergency');
  // With no kind to go on, give both numbers rather than guess which one the person needs.
  const lead: Lead = selfHarm === emergency ? 'both' : selfHarm ? 'self_harm' : 'emergency';
  return GUIDANCE[locale][form][lead];
}
