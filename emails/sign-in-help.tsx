// Sent instead of a sign-in link when more than one account shares the address: a link would have
// to pick one of them, so the email carries no link at all and sends the patient to support.
import { Heading, Link, Text } from '@react-email/components';
import type { Brand } from './brand.ts';
import { EmailLayout, heading, paragraph, telHref, textColor, type EmailLocale } from './layout.tsx';
import { renderEmail, type RenderedEmail } from './render.ts';

export interface SignInHelpEmailProps {
  brand: Brand;
  locale: EmailLocale;
  /** The portal's public URL, to show a logo given as a site path. */
  assetBaseUrl?: string | undefined;
}

const copy = {
  en: {
    subject: (brand: string) => `Help signing in to ${brand}`,
    preview: 'Call us and we will help you sign in.',
    heading: 'Let us help you sign in',
    asked: 'You asked to sign in with this email address.',
    shared:
      'More than one account uses this email address, so we cannot send a sign-in link. We want to be sure we sign in the right person.',
    call: 'Please call us at',
    callEnd: '. We will help you sign in.',
    notYou: 'If you did not ask for this, you can ignore this email.',
  },
  es: {
    subject: (brand: string) => `Ayuda para entrar a ${brand}`,
    preview: 'Llámenos y le ayudaremos a entrar.',
    heading: 'Le ayudamos a entrar',
    asked: 'Usted pidió entrar con este correo electrónico.',
    shared:
      'Hay más de una cuenta con este correo, así que no podemos enviarle un enlace para entrar. Queremos estar seguros de que entra la persona correcta.',
    call: 'Por favor, llámenos al',
    callEnd: '. Le ayudaremos a entrar.',
    notYou: 'Si usted no pidió esto, puede ignorar este correo.',
  },
} as const;

export function SignInHelpEmail({ brand, locale, assetBaseUrl }: SignInHelpEmailProps) {
  const t = copy[locale];
  return (
    <EmailLayout brand={brand} locale={locale} preview={t.preview} assetBaseUrl={assetBaseUrl}>
      <Heading as="h1" style={heading}>
        {t.heading}
      </Heading>
      <Text style={paragraph}>{t.asked}</Text>
      <Text style={paragraph}>{t.shared}</Text>
      <Text style={{ ...paragraph, fontSize: '19px', lineHeight: '28px' }}>
        {t.call}{' '}
        <Link href={telHref(brand.supportPhone)} style={{ color: textColor, fontWeight: 700 }}>
          {brand.supportPhone}
        </Link>
        {t.callEnd}
      </Text>
      <Text style={paragraph}>{t.notYou}</Text>
    </EmailLayout>
  );
}

export function renderSignInHelpEmail(props: SignInHelpEmailProps): Promise<RenderedEmail> {
  return renderEmail(copy[props.locale].subject(props.brand.name), <SignInHelpEmail {...props} />);
}
