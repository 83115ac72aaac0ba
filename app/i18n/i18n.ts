import i18next, { type i18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { resources, type Locale } from './resources.ts';

/** One i18next instance per request on the server, one per page on the client: no shared state. */
export async function createI18n(lng: Locale): Promise<i18n> {
  const instance = i18next.createInstance();
  await instance.use(initReactI18next).init({
    lng,
    fallbackLng: 'en',
    resources,
    interpolation: { escapeValue: false }, // React escapes
    react: { useSuspense: false },
  });
  return instance;
}
