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
  signIn: {
    title: 'Sign in',
    lead: 'Use the email or phone number and the password you use today. You do not need a new account.',
    forClient: 'to continue to {{client}}',
    identifier: 'Email or phone number',
    identifierHint: 'For example, maria@example.com or (555) 123-4567',
    password: 'Password',
    submit: 'Sign in',
    working: 'Signing you in…',
    missingIdentifier: 'Enter your email or phone number.',
    missingPassword: 'Enter your password.',
    invalid: 'That email or phone number and password do not match our records. Check them and try again.',
    sharedHelp:
      'Forgot your password, or share this email or phone with a family member? Call us at {{phone}} and we will help you sign in.',
    locked: 'This account is locked. Please call us at {{phone}} so we can help you.',
    tooMany:
      'Too many tries. For your safety, please wait {{minutes}} minutes and try again, or call us at {{phone}}.',
    busy: 'We are very busy right now. Please wait a few seconds and try again.',
    expiredTitle: 'This sign-in page has expired',
    expiredBody:
      'For your safety, sign-in pages only work for a short time. Go back to the app or website you came from and choose Sign in again.',
    expiredStart: 'Start again here',
    signedInAs: 'You are signed in as {{name}}.',
    continueTo: 'Continue to {{client}}',
    signOut: 'Sign out',
    signedOut: 'You are signed out.',
  },
  passwordless: {
    heading: 'No password? Sign in with a message',
    hint: 'Enter your email or phone above, then choose one:',
    emailLink: 'Email me a sign-in link',
    smsCode: 'Text me a code',
    invalidIdentifier:
      'Enter the email address or phone number we have for you, for example maria@example.com or (555) 123-4567.',
    tooManyRequests:
      'We already sent you several messages. Please wait {{minutes}} minutes and check your email and texts, or call us at {{phone}}.',
  },
  code: {
    titleEmail: 'Check your email',
    titleSms: 'Check your text messages',
    leadEmail:
      'If we have an account for {{identifier}}, we just sent an email with a sign-in link and a code. They work for {{minutes}} minutes.',
    leadSms:
      'If we have an account for {{identifier}}, we just sent a text message with a code. It works for {{minutes}} minutes.',
    label: 'Code from the message',
    hint: '6 letters and numbers, for example ABC-234',
    submit: 'Sign in with this code',
    missing: 'Enter the code from the message.',
    invalid: 'That code did not work. Check it and try again, or ask for a new one.',
    notArrived: 'Nothing yet? Wait a minute and check your spam folder. Then you can ask again.',
    sendAgain: 'Send it again',
    usePassword: 'Sign in with a password instead',
  },
  link: {
    title: 'Finish signing in',
    lead: 'Press the button to sign in. This step keeps your account safe from programs that open links in email.',
    confirm: 'Sign me in',
    expiredTitle: 'This sign-in link has expired',
    expiredBody:
      'Links work only for a short time, to keep your account safe. We can send you a new one now.',
    usedTitle: 'This sign-in link was already used',
    usedBody:
      'Each link works only once. We can send you a new one now. If you did not use it, please call us at {{phone}}.',
    invalidTitle: 'This sign-in link does not work',
    invalidBody:
      'It may be cut off, or it may not be from us. You can ask for a new link on the sign-in page.',
    endedTitle: 'This old link no longer works',
    endedBody:
      'Links from our old website have stopped working. You can ask for a new link on the sign-in page.',
    unavailableTitle: 'We could not sign you in with this link',
    unavailableBody: 'Please call us at {{phone}} and we will help you.',
    sendNew: 'Send me a new link',
    getNew: 'Go to the sign-in page',
    sentTitle: 'We sent you a new message',
    sentBody: 'Check your email or texts. The new link or code works for {{minutes}} minutes.',
  },
  legacySession: {
    title: 'Welcome back',
    lead: 'You are still signed in on our old website as {{name}}.',
    continue: 'Continue as {{name}}',
    notYou: 'Not you? Sign in as someone else',
    someone: 'this person',
  },
  account: {
    title: 'Your account',
    lead: 'This is the information we have for you.',
    name: 'Name',
    email: 'Email',
    phone: 'Phone',
    language: 'Language',
    status: 'Status',
    none: 'None on file',
    statuses: {
      imported: 'Not signed in yet',
      notified: 'Not signed in yet',
      bridged: 'Signed in. Ready for the new portal',
      active: 'Using the new portal',
      locked: 'Locked. Please call us',
      closed: 'Closed',
    },
    wrongDetails: 'Something wrong here? Call us at {{phone}}.',
  },
  welcome: {
    title: 'Welcome! A few quick checks',
    lead: 'You can skip this. It only takes a minute and helps us reach you.',
    contactHeading: 'Is this how we reach you?',
    email: 'Email',
    phone: 'Phone',
    none: 'None on file',
    contactYes: 'Yes, this is right',
    contactNo: 'Something is wrong (we will contact you to fix it)',
    passwordHeading: 'Choose a new password (optional)',
    passwordHint: 'At least 8 characters. Avoid common passwords. Leave blank to keep your current password.',
    newPassword: 'New password',
    confirmPassword: 'Type the new password again',
    languageHeading: 'Language',
    save: 'Save and continue',
    skip: 'Skip for now',
    tooShort: 'Your new password needs at least 8 characters.',
    tooLong: 'Your new password is too long.',
    common: 'That password is too common and easy to guess. Please choose another one.',
    mismatch: 'The two new passwords do not match.',
  },
  consent: {
    title: 'Share your information with {{client}}?',
    lead: '{{client}} is asking to see:',
    scopes: {
      openid: 'Who you are (a private ID number)',
      profile: 'Your name, date of birth, language and time zone',
      email: 'Your email address',
      phone: 'Your phone number',
      patient: 'Your patient record numbers and care group',
      offline_access: 'Stay signed in to {{client}} until you sign out',
    },
    allow: 'Allow',
    deny: 'Do not allow',
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
  signIn: {
    title: 'Iniciar sesión',
    lead: 'Use el correo o el número de teléfono y la contraseña que usa hoy. No necesita una cuenta nueva.',
    forClient: 'para continuar a {{client}}',
    identifier: 'Correo o número de teléfono',
    identifierHint: 'Por ejemplo, maria@ejemplo.com o (555) 123-4567',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    working: 'Iniciando su sesión…',
    missingIdentifier: 'Escriba su correo o número de teléfono.',
    missingPassword: 'Escriba su contraseña.',
    invalid:
      'Ese correo o número de teléfono y la contraseña no coinciden con nuestros registros. Revíselos e intente de nuevo.',
    sharedHelp:
      '¿Olvidó su contraseña, o comparte este correo o teléfono con un familiar? Llámenos al {{phone}} y le ayudaremos a entrar.',
    locked: 'Esta cuenta está bloqueada. Llámenos al {{phone}} para ayudarle.',
    tooMany:
      'Demasiados intentos. Por su seguridad, espere {{minutes}} minutos e intente de nuevo, o llámenos al {{phone}}.',
    busy: 'Estamos muy ocupados en este momento. Espere unos segundos e intente de nuevo.',
    expiredTitle: 'Esta página de inicio de sesión venció',
    expiredBody:
      'Por su seguridad, las páginas de inicio de sesión solo sirven por poco tiempo. Vuelva a la aplicación o sitio web de donde vino y elija Iniciar sesión otra vez.',
    expiredStart: 'Empezar de nuevo aquí',
    signedInAs: 'Inició sesión como {{name}}.',
    continueTo: 'Continuar a {{client}}',
    signOut: 'Cerrar sesión',
    signedOut: 'Su sesión está cerrada.',
  },
  passwordless: {
    heading: '¿No tiene contraseña? Entre con un mensaje',
    hint: 'Escriba su correo o teléfono arriba y elija una opción:',
    emailLink: 'Envíenme un enlace por correo',
    smsCode: 'Envíenme un código por texto',
    invalidIdentifier:
      'Escriba el correo o el número de teléfono que tenemos de usted, por ejemplo maria@example.com o (555) 123-4567.',
    tooManyRequests:
      'Ya le enviamos varios mensajes. Espere {{minutes}} minutos y revise su correo y sus textos, o llámenos al {{phone}}.',
  },
  code: {
    titleEmail: 'Revise su correo',
    titleSms: 'Revise sus mensajes de texto',
    leadEmail:
      'Si tenemos una cuenta para {{identifier}}, le acabamos de enviar un correo con un enlace y un código para entrar. Funcionan por {{minutes}} minutos.',
    leadSms:
      'Si tenemos una cuenta para {{identifier}}, le acabamos de enviar un mensaje de texto con un código. Funciona por {{minutes}} minutos.',
    label: 'Código del mensaje',
    hint: '6 letras y números, por ejemplo ABC-234',
    submit: 'Entrar con este código',
    missing: 'Escriba el código del mensaje.',
    invalid: 'Ese código no funcionó. Revíselo e inténtelo de nuevo, o pida uno nuevo.',
    notArrived:
      '¿Todavía nada? Espere un minuto y revise su carpeta de correo no deseado. Luego puede pedirlo otra vez.',
    sendAgain: 'Enviarlo otra vez',
    usePassword: 'Entrar con contraseña',
  },
  link: {
    title: 'Termine de iniciar sesión',
    lead: 'Oprima el botón para entrar. Este paso protege su cuenta de programas que abren los enlaces de los correos.',
    confirm: 'Entrar',
    expiredTitle: 'Este enlace para entrar ya venció',
    expiredBody:
      'Los enlaces funcionan solo por poco tiempo, para proteger su cuenta. Podemos enviarle uno nuevo ahora.',
    usedTitle: 'Este enlace para entrar ya se usó',
    usedBody:
      'Cada enlace funciona una sola vez. Podemos enviarle uno nuevo ahora. Si usted no lo usó, llámenos al {{phone}}.',
    invalidTitle: 'Este enlace para entrar no funciona',
    invalidBody:
      'Puede estar incompleto o no ser nuestro. Puede pedir un enlace nuevo en la página para entrar.',
    endedTitle: 'Este enlace antiguo ya no funciona',
    endedBody:
      'Los enlaces de nuestro sitio web anterior ya no funcionan. Puede pedir un enlace nuevo en la página para entrar.',
    unavailableTitle: 'No pudimos hacerle entrar con este enlace',
    unavailableBody: 'Llámenos al {{phone}} y le ayudaremos.',
    sendNew: 'Envíenme un enlace nuevo',
    getNew: 'Ir a la página para entrar',
    sentTitle: 'Le enviamos un mensaje nuevo',
    sentBody: 'Revise su correo o sus textos. El enlace o código nuevo funciona por {{minutes}} minutos.',
  },
  legacySession: {
    title: 'Qué bueno verle de nuevo',
    lead: 'Todavía tiene la sesión abierta en nuestro sitio web anterior como {{name}}.',
    continue: 'Continuar como {{name}}',
    notYou: '¿No es usted? Entre como otra persona',
    someone: 'esta persona',
  },
  account: {
    title: 'Su cuenta',
    lead: 'Esta es la información que tenemos de usted.',
    name: 'Nombre',
    email: 'Correo',
    phone: 'Teléfono',
    language: 'Idioma',
    status: 'Estado',
    none: 'No tenemos',
    statuses: {
      imported: 'Todavía no ha entrado',
      notified: 'Todavía no ha entrado',
      bridged: 'Ya entró. Listo para el portal nuevo',
      active: 'Usa el portal nuevo',
      locked: 'Bloqueada. Llámenos, por favor',
      closed: 'Cerrada',
    },
    wrongDetails: '¿Algo está mal? Llámenos al {{phone}}.',
  },
  welcome: {
    title: '¡Bienvenido! Unas preguntas rápidas',
    lead: 'Puede saltar este paso. Solo toma un minuto y nos ayuda a comunicarnos con usted.',
    contactHeading: '¿Así nos comunicamos con usted?',
    email: 'Correo',
    phone: 'Teléfono',
    none: 'No tenemos uno',
    contactYes: 'Sí, está bien',
    contactNo: 'Algo está mal (le contactaremos para corregirlo)',
    passwordHeading: 'Elija una contraseña nueva (opcional)',
    passwordHint:
      'Al menos 8 caracteres. Evite contraseñas comunes. Déjelo en blanco para seguir con su contraseña actual.',
    newPassword: 'Contraseña nueva',
    confirmPassword: 'Escriba la contraseña nueva otra vez',
    languageHeading: 'Idioma',
    save: 'Guardar y continuar',
    skip: 'Saltar por ahora',
    tooShort: 'Su contraseña nueva necesita al menos 8 caracteres.',
    tooLong: 'Su contraseña nueva es demasiado larga.',
    common: 'Esa contraseña es muy común y fácil de adivinar. Elija otra, por favor.',
    mismatch: 'Las dos contraseñas nuevas no coinciden.',
  },
  consent: {
    title: '¿Compartir su información con {{client}}?',
    lead: '{{client}} pide ver:',
    scopes: {
      openid: 'Quién es usted (un número de identificación privado)',
      profile: 'Su nombre, fecha de nacimiento, idioma y zona horaria',
      email: 'Su correo electrónico',
      phone: 'Su número de teléfono',
      patient: 'Sus números de paciente y su grupo de atención',
      offline_access: 'Seguir con la sesión abierta en {{client}} hasta que la cierre',
    },
    allow: 'Permitir',
    deny: 'No permitir',
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
