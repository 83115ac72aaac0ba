import * as cookie from 'cookie';
import { parseAcceptLanguage } from 'intl-parse-accept-language';
import { isLocale, type Locale } from './resources.ts';

export const LOCALE_COOKIE = 'cw_lng';

/** The page language: ?lng= for this view, then the saved choice, then the browser's languages. */
export function detectLocale(request: Request): Locale {
  const fromQuery = new URL(request.url).searchParams.get('lng');
  if (isLocale(fromQuery)) return fromQuery;
  const saved = cookie.parse(request.headers.get('cookie') ?? '')[LOCALE_COOKIE];
  if (isLocale(saved)) return saved;
  for (const tag of parseAcceptLanguage(request.headers.get('accept-language'), { ignoreWildcard: true })) {
    const base = tag.split('-')[0]?.toLowerCase();
    if (isLocale(base)) return base;
  }
  return 'en';
}
