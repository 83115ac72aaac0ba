import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { useEffect } from 'react';
import { PatientErrorPage } from './components/patient-shell.tsx';
import { useNonce } from './components/nonce.tsx';
import { detectLocale } from './i18n/locale.server.ts';
import { hasPendingOpen } from './utils/wave-links.server.ts';
import stylesheet from './styles/app.css?url';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/brand/logo.svg', type: 'image/svg+xml' },
];

export const meta: MetaFunction = () => [{ name: 'robots', content: 'noindex' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { brand } = context.services.config;
  return {
    locale: detectLocale(request),
    csrfToken: context.csrfToken,
    // The patient came through a wave message's link: the page reports it once (see cw.opened.tsx).
    reportOpen: hasPendingOpen(request),
    // Only what pages show: brand settings are public.
    brand,
  };
}

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>('root');
  const nonce = useNonce();
  const { i18n } = useTranslation();
  const locale = data?.locale ?? 'en';
  useEffect(() => {
    if (i18n.language !== locale) void i18n.changeLanguage(locale);
  }, [i18n, locale]);
  // Marks the page as hydrated (browser tests wait for it before typing, as a person's pace would).
  useEffect(() => {
    document.documentElement.dataset.hydrated = 'true';
  }, []);
  // Arrived through a wave message's link: say so once, from the browser (a mail scanner that only
  // fetches the link is not counted).
  const reportOpen = data?.reportOpen ?? false;
  const csrfToken = data?.csrfToken ?? '';
  useEffect(() => {
    if (!reportOpen) return;
    void fetch('/cw/opened', {
      method: 'POST',
      body: new URLSearchParams({ csrf: csrfToken }),
      credentials: 'same-origin',
    }).catch(() => {});
  }, [reportOpen, csrfToken]);
  const brand = data?.brand;
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
        {brand ? (
          <style
            nonce={nonce}
            suppressHydrationWarning
          >{`:root{--brand-primary:${brand.primaryColor};--brand-accent:${brand.accentColor}}`}</style>
        ) : null}
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

/** Anything that went wrong outside a page with its own boundary: see PatientErrorPage. */
export function ErrorBoundary() {
  return <PatientErrorPage titleInBody />;
}
