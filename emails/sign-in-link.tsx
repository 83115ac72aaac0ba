// The email a patient asks for on /login: a button that signs them in, and the same request's code
// for when the email is read on another device. It says nothing about the patient's health or account.
import { Button, Heading, Link, Section, Text } from '@react-email/components';
import type { Brand } from './brand.ts';
import {
  EmailLayout,
  fontFamily,
  heading,
  mutedColor,
  paragraph,
  primaryButton,
  textColor,
  type EmailLocale,
} from './layout.tsx';
import { renderEmail, type RenderedEmail } from './render.ts';
import { displayCode } from './sign-in-code.ts';

export interface SignInLinkEmailProps {
  brand: Brand;
  locale: EmailLocale;
  /** The portal link that signs the patient in (it shows a confirm button first). */
  link: string;
  /** The same request's short code. */
  code: string;
  expiresMinutes: number;
  givenName?: string | null | undefined;
  /** The portal's public URL, to show a logo given as a site path. */
  assetBaseUrl?: string | undefined;
}

const copy = {
  en: {
    subject: (brand: string) => `Your ${brand} sign-in link`,
    preview: (minutes: number) => `Your link to sign in. It expires in ${minutes} minutes.`,
    heading: (brand: string) => `Sign in to ${brand}`,
    greeting: (name: string | null) => (name ? `Hi ${name},` : 'Hello,'),
    intro: 'You asked to sign in. Tap the button to sign in:',
    button: 'Sign in',
    codeIntro: 'Reading this on another device? Type this code on the sign-in page instead:',
    codeLabel: 'Your sign-in code',
    expires: (minutes: number) =>
      `The link and the code expire in ${minutes} minutes. You can use them only once.`,
    notYou:
      'If you did not ask for this, you can ignore this email. No one can sign in without the link or the code.',
    noShare: 'Do not share this code. We will never call you to ask for it.',
    fallback: 'If the button does not work, copy this link into your web browser:',
  },
  es: {
    subject: (brand: string) => `Su enlace para entrar a ${brand}`,
    preview: (minutes: number) => `Su enlace para entrar. Vence en ${minutes} minutos.`,
    heading: (brand: string) => `Entre a ${brand}`,
    greeting: (name: string | null) => (name ? `Hola, ${name}:` : 'Hola:'),
    intro: 'Usted pidió entrar a su cuenta. Toque el botón para entrar:',
    button: 'Entrar',
    codeIntro: '¿Está leyendo esto en otro aparato? Escriba este código en la página para entrar:',
    codeLabel: 'Su código para entrar',
    expires: (minutes: number) =>
      `El enlace y el código vencen en ${minutes} minutos. Solo puede usarlos una vez.`,
    notYou:
      'Si usted no pidió esto, puede ignorar este correo. Nadie puede entrar sin el enlace o el código.',
    noShare: 'No comparta este código. Nunca le vamos a llamar para pedírselo.',
    fallback: 'Si el botón no funciona, copie este enlace en su navegador:',
  },
} as const;

export function SignInLinkEmail(props: SignInLinkEmailProps) {
  const { brand, locale } = props;
  const t = copy[locale];
  const code = displayCode(props.code);
  return (
    <EmailLayout
      brand={brand}
      locale={locale}
      preview={t.preview(props.expiresMinutes)}
      assetBaseUrl={props.assetBaseUrl}
    >
      <Heading as="h1" style={heading}>
        {t.heading(brand.name)}
      </Heading>
      <Text style={paragraph}>{t.greeting(props.givenName?.trim() || null)}</Text>
      <Text style={paragraph}>{t.intro}</Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button href={props.link} style={{ ...primaryButton, backgroundColor: brand.primaryColor }}>
          {t.button}
        </Button>
      </Section>
      <Text style={paragraph}>{t.codeIntro}</Text>
      <Section
        style={{
          backgroundColor: '#f3f4f6',
          border: '1px solid #d1d5db',
          borderRadius: '8px',
          padding: '16px',
          margin: '0 0 16px',
          textAlign: 'center',
        }}
      >
        <Text style={{ color: mutedColor, fontSize: '14px', lineHeight: '20px', margin: '0 0 4px' }}>
          {t.codeLabel}
        </Text>
        <Text
          style={{
            color: textColor,
            fontFamily: `'SFMono-Regular', Menlo, Consolas, 'Courier New', monospace, ${fontFamily}`,
            fontSize: '34px',
            lineHeight: '44px',
            fontWeight: 700,
            letterSpacing: '8px',
            margin: 0,
          }}
        >
          {code}
        </Text>
      </Section>
      <Text style={paragraph}>{t.expires(props.expiresMinutes)}</Text>
      <Text style={paragraph}>{t.notYou}</Text>
      <Text style={paragraph}>{t.noShare}</Text>
      {/* The text version shows the link beside "Sign in" already. */}
      <Text
        style={{ ...paragraph, fontSize: '15px', lineHeight: '22px', color: mutedColor }}
        data-skip-in-text="true"
      >
        {t.fallback}{' '}
        <Link
          href={props.link}
          style={{ color: textColor, textDecoration: 'underline', wordBreak: 'break-all' }}
        >
          {props.link}
        </Link>
      </Text>
    </EmailLayout>
  );
}

export function renderSignInLinkEmail(props: SignInLinkEmailProps): Promise<RenderedEmail> {
  return renderEmail(copy[props.locale].subject(props.brand.name), <SignInLinkEmail {...props} />);
}
