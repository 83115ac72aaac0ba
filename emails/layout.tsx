// The frame every patient email shares: brand header, the support line, a language tagline in the
// other language, and the legal footer. Colors meet WCAG AA on white; the brand's primary color is
// only ever used behind white text (the brand settings promise 4.5:1 for that pair).
import { Body, Container, Head, Hr, Html, Img, Link, Preview, Section, Text } from '@react-email/components';
import type { CSSProperties, ReactNode } from 'react';
import type { Brand } from './brand.ts';

export type EmailLocale = 'en' | 'es';

export const textColor = '#1f2933';
/** Secondary text: 7.4:1 on white. */
export const mutedColor = '#4b5563';
const pageColor = '#f3f4f6';

export const fontFamily =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

export const paragraph: CSSProperties = {
  color: textColor,
  fontSize: '17px',
  lineHeight: '26px',
  margin: '0 0 16px',
};

export const heading: CSSProperties = {
  color: textColor,
  fontSize: '24px',
  lineHeight: '32px',
  fontWeight: 700,
  margin: '0 0 16px',
};

/** The one call to action of a message (a sign-in, a reply to read); its color comes from the brand. */
export const primaryButton: CSSProperties = {
  color: '#ffffff',
  fontSize: '20px',
  fontWeight: 700,
  lineHeight: '24px',
  borderRadius: '8px',
  padding: '16px 40px',
  textDecoration: 'none',
  display: 'inline-block',
};

const footerText: CSSProperties = {
  color: mutedColor,
  fontSize: '14px',
  lineHeight: '22px',
  margin: '0 0 8px',
};

const footerCopy = {
  en: {
    callUs: 'Questions? Call us at',
    tagline: (phone: string) => `Ayuda en español gratis: llame al ${phone}.`,
  },
  es: {
    callUs: '¿Preguntas? Llámenos al',
    tagline: (phone: string) => `Free language help: call ${phone}.`,
  },
} as const;

/**
 * The logo as an absolute URL, or null when it cannot be shown: a site path needs the portal's address
 * to become absolute, and mail clients do not load relative images.
 */
export function resolveLogoUrl(brand: Brand, assetBaseUrl?: string): string | null {
  if (!brand.logoUrl) return null;
  try {
    const url = assetBaseUrl ? new URL(brand.logoUrl, assetBaseUrl) : new URL(brand.logoUrl);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** `tel:` form of a display number such as "+1 (555) 010-0100". */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`;
}

export function EmailLayout(props: {
  brand: Brand;
  locale: EmailLocale;
  /** The inbox preview line (hidden in the body, left out of the text version). */
  preview: string;
  /** Base for a logo given as a site path (the portal's public URL). */
  assetBaseUrl?: string | undefined;
  children: ReactNode;
}) {
  const { brand, locale } = props;
  const other: EmailLocale = locale === 'en' ? 'es' : 'en';
  const copy = footerCopy[locale];
  const logo = resolveLogoUrl(brand, props.assetBaseUrl);
  return (
    <Html lang={locale} dir="ltr">
      <Head>
        <meta name="color-scheme" content="light" />
        <meta name="supported-color-schemes" content="light" />
      </Head>
      <Preview>{props.preview}</Preview>
      <Body style={{ backgroundColor: pageColor, margin: 0, padding: '24px 0', fontFamily }}>
        <Container
          style={{
            backgroundColor: '#ffffff',
            maxWidth: '560px',
            margin: '0 auto',
            padding: '32px 28px',
            borderTop: `6px solid ${brand.primaryColor}`,
          }}
        >
          <Section style={{ marginBottom: '24px' }}>
            {logo ? (
              <Img
                src={logo}
                alt=""
                width={40}
                height={40}
                style={{ display: 'inline-block', verticalAlign: 'middle', marginRight: '12px' }}
              />
            ) : null}
            <Text
              style={{
                display: 'inline-block',
                verticalAlign: 'middle',
                color: textColor,
                fontSize: '20px',
                lineHeight: '28px',
                fontWeight: 700,
                margin: 0,
              }}
            >
              {brand.name}
            </Text>
          </Section>
          {props.children}
          <Hr style={{ borderColor: '#d1d5db', margin: '28px 0 20px' }} />
          <Text style={footerText}>
            {copy.callUs}{' '}
            <Link href={telHref(brand.supportPhone)} style={{ color: textColor, fontWeight: 700 }}>
              {brand.supportPhone}
            </Link>
            .
          </Text>
          <Text style={footerText} lang={other}>
            {copy.tagline(brand.supportPhone)}
          </Text>
          {brand.legalFooter ? <Text style={footerText}>{brand.legalFooter}</Text> : null}
        </Container>
      </Body>
    </Html>
  );
}
