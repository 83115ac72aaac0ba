// A minimal browser and loopback helpers, free of the test runner so benchmarks can use them too.
import { createServer } from 'node:net';

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A minimal browser: keeps cookies per path, follows nothing on its own, posts forms like a page would. */
export class TestBrowser {
  private cookies = new Map<string, { value: string; path: string }>();
  constructor(readonly base: string) {}

  cookieHeader(pathname: string): string {
    return [...this.cookies.entries()]
      .filter(([, c]) => pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  private store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attributes.some((a) => /^max-age=0$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }

  async request(pathname: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(pathname, this.base);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url.pathname);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    return response;
  }

  get(pathname: string, headers: Record<string, string> = {}) {
    return this.request(pathname, { headers });
  }

  /** Loads the page, takes its CSRF token, and posts the form fields as a same-origin page would. */
  async submit(
    pathname: string,
    fields: Record<string, string>,
    options: { csrf?: string | null; origin?: string } = {},
  ): Promise<Response> {
    let csrf = options.csrf;
    if (csrf === undefined) csrf = await this.csrfToken();
    const body = new URLSearchParams(fields);
    if (csrf !== null) body.set('csrf', csrf);
    return this.request(pathname, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: options.origin ?? this.base },
    });
  }

  /** This browser's CSRF form token, read from a page that carries a form (as a person's page would). */
  async csrfToken(): Promise<string> {
    let response = await this.get('/staff/login');
    const location = response.headers.get('location');
    if (location) response = await this.get(location);
    return csrfFrom(await response.text());
  }

  hasCookie(name: string) {
    return this.cookies.has(name);
  }

  /** A cookie's value, to carry it into another browser (as a patient's second tab or device would not). */
  cookie(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  setCookie(name: string, value: string, path = '/') {
    this.cookies.set(name, { value, path });
  }
}

export function csrfFrom(html: string): string {
  const match = /name="csrf" value="([^"]*)"/.exec(html);
  if (!match?.[1]) throw new Error('the page has no CSRF field');
  return match[1];
}
