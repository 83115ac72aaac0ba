// Patient-facing words, in plain language (about a 6th-grade reading level), English and Spanish.
export const supportedLocales = ['en', 'es'] as const;
export type Locale = (typeof supportedLocales)[number];

const en = {
  common: {
    skipToContent: 'Skip to main content',
    language: 'Language',
    languageName: 'English',
    otherLanguage: 'Español',
    callUs: 'Questions? Call us at {{phone}}.',
    tagline: 'Language help is free. Call {{phone}}.',
    taglineOther: 'Ayuda en español gratis: llame al {{phone}}.',
    emergency: 'In an emergency, call 911. If you are thinking about hurting yourself, call or text 988.',
  },
  home: {
    title: 'Your {{brand}} patient portal is moving',
    lead: 'We are moving your patient portal to a new, safer home. Your care does not change.',
    whatToDoHeading: 'What you need to do',
    step1: 'Nothing yet. Keep using this web address: your bookmarks and links will keep working.',
    step2:
      'When it is your turn, we will send you an email or text from {{brand}}. It will never ask for your password.',
    step3: 'You will sign in with the email and password you use today. You do not need a new account.',
    genuineHeading: 'How to know a message is really from us',
    genuine:
      'Our messages come from {{brand}}, use the web address you are on now, and never ask for your password, card number or Social Security number by email or text.',
  },
  notFound: {
    title: 'We could not find that page',
    body: 'The link may be old. Our portal is moving, and some pages have new addresses.',
    home: 'Go to the home page',
  },
  error: {
    title: 'Something went wrong on our side',
    body: 'Please try again in a few minutes. If it keeps happening, call us.',
  },
};

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };

const es: Shape<typeof en> = {
  common: {
    skipToContent: 'Saltar al contenido principal',
    language: 'Idioma',
    languageName: 'Español',
    otherLanguage: 'English',
    callUs: '¿Preguntas? Llámenos al {{phone}}.',
    tagline: 'La ayuda con el idioma es gratis. Llame al {{phone}}.',
    taglineOther: 'Free language help: call {{phone}}.',
    emergency: 'En una emergencia, llame al 911. Si piensa en hacerse daño, llame o envíe un texto al 988.',
  },
  home: {
    title: 'Su portal de pacientes de {{brand}} se está mudando',
    lead: 'Estamos mudando su portal de pacientes a un lugar nuevo y más seguro. Su atención médica no cambia.',
    whatToDoHeading: 'Lo que tiene que hacer',
    step1: 'Nada por ahora. Siga usando esta dirección web: sus marcadores y enlaces seguirán funcionando.',
    step2:
      'Cuando sea su turno, le enviaremos un correo o un mensaje de texto de {{brand}}. Nunca le pedirá su contraseña.',
    step3: 'Entrará con el correo y la contraseña que usa hoy. No necesita una cuenta nueva.',
    genuineHeading: 'Cómo saber si un mensaje es nuestro',
    genuine:
      'Nuestros mensajes vienen de {{brand}}, usan la dirección web en la que está ahora y nunca le piden su contraseña, número de tarjeta ni número de Seguro Social por correo o texto.',
  },
  notFound: {
    title: 'No encontramos esa página',
    body: 'Puede que el enlace sea antiguo. Nuestro portal se está mudando y algunas páginas tienen direcciones nuevas.',
    home: 'Ir a la página de inicio',
  },
  error: {
    title: 'Algo salió mal de nuestro lado',
    body: 'Vuelva a intentarlo en unos minutos. Si sigue pasando, llámenos.',
  },
};

export const resources = { en: { translation: en }, es: { translation: es } } as const;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (supportedLocales as readonly string[]).includes(value);
}
