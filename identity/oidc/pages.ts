// The few pages oidc-provider renders itself (its error page, the sign-out confirmation and the
// signed-out page), in the portal's plain words, English and Spanish, styled under the page's CSP nonce.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { parseAcceptLanguage } from 'intl-parse-accept-language';

type Locale = 'en' | 'es';

const words = {
  en: {
    errorTitle: 'We could not finish signing you in',
    errorBody:
      'Something in the sign-in request was not right. Go back to the app or website you came from and try again. If it keeps happening, call us.',
    errorCode: 'Error code (for support)',
    startAgain: 'Go to the sign-in page',
    logoutTitle: 'Sign out?',
    logoutBody: 'You will be signed out of this portal on this device.',
    logoutYes: 'Yes, sign me out',
    logoutNo: 'No, stay signed in',
    loggedOutTitle: 'You are signed out',
    loggedOutBody: 'You can close this window, or sign in again.',
    home: 'Back to the portal',
  },
  es: {
    errorTitle: 'No pudimos terminar de iniciar su sesión',
    errorBody:
      'Algo en la solicitud de inicio de sesión no estaba bien. Vuelva a la aplicación o sitio web de donde vino e intente de nuevo. Si sigue pasando, llámenos.',
    errorCode: 'Código de error (para soporte)',
    startAgain: 'Ir a la página de inicio de sesión',
    logoutTitle: '¿Cerrar sesión?',
    logoutBody: 'Se cerrará su sesión en este portal en este dispositivo.',
    logoutYes: 'Sí, cerrar mi sesión',
    logoutNo: 'No, seguir con mi sesión',
    loggedOutTitle: 'Su sesión está cerrada',
    loggedOutBody: 'Puede cerrar esta ventana o volver a iniciar sesión.',
    home: 'Volver al portal',
  },
} satisfies Record<Locale, Record<string, string>>;

function localeOf(ctx: KoaContextWithOIDC): Locale {
  const fromCookie = /(?:^|;\s*)cw_lng=(en|es)\b/.exec(ctx.get('cookie'))?.[1];
  if (fromCookie === 'en' || fromCookie === 'es') return fromCookie;
  for (const tag of parseAcceptLanguage(ctx.get('accept-language'), { ignoreWildcard: true })) {
    const base = tag.split('-')[0]?.toLowerCase();
    if (base === 'en' || base === 'es') return base;
  }
  return 'en';
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(ctx: KoaContextWithOIDC, locale: Locale, title: string, body: string) {
  const nonce = ((ctx.res as unknown as { locals?: { cspNonce?: string } }).locals?.cspNonce ?? '') as string;
  ctx.type = 'html';
  ctx.body = `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style nonce="${escape(nonce)}">
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1.125rem;line-height:1.5;color:#1a1a1a;background:#f6f7f9;margin:0}
main{max-width:32rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin-top:0}button,a.button{display:block;width:100%;box-sizing:border-box;font-size:1.125rem;padding:.75rem;margin:.5rem 0;border-radius:8px;border:2px solid #0b5cad;text-align:center;text-decoration:none;cursor:pointer}
.primary{background:#0b5cad;color:#fff}.secondary{background:#fff;color:#0b5cad}small{color:#555}
</style></head><body><main>${body}</main></body></html>`;
}

export async function renderError(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string },
) {
  const locale = localeOf(ctx);
  const t = words[locale];
  page(
    ctx,
    locale,
    t.errorTitle,
    `<h1>${escape(t.errorTitle)}</h1><p>${escape(t.errorBody)}</p>
<a class="button primary" href="/login">${escape(t.startAgain)}</a>
<p><small>${escape(t.errorCode)}: ${escape(out.error)}${out.error_description ? ` (${escape(out.error_description)})` : ''}</small></p>`,
  );
}

export async function logoutSource(ctx: KoaContextWithOIDC, form: string) {
  const locale = localeOf(ctx);
  const t = words[locale];
  page(
    ctx,
    locale,
    t.logoutTitle,
    `<h1>${escape(t.logoutTitle)}</h1><p>${escape(t.logoutBody)}</p>${form}
<button class="primary" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${escape(t.logoutYes)}</button>
<button class="secondary" type="submit" form="op.logoutForm">${escape(t.logoutNo)}</button>`,
  );
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
  const locale = localeOf(ctx);
  const t = words[locale];
  page(
    ctx,
    locale,
    t.loggedOutTitle,
    `<h1>${escape(t.loggedOutTitle)}</h1><p>${escape(t.loggedOutBody)}</p>
<a class="button primary" href="/">${escape(t.home)}</a>`,
  );
}
