import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('server', () => {
  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('serves Prometheus metrics, labelled by area and never by raw path', async () => {
    await fetch(`${app.url}/appointments/4815162342?patient=maria@example.org`);
    const response = await fetch(`${app.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(
      /causeway_http_request_duration_seconds_count\{method="GET",area="other",status="404"\} \d+/,
    );
    expect(text).toContain('causeway_process_cpu_seconds_total');
    expect(text).not.toContain('4815162342');
    expect(text).not.toContain('maria');
  });

  it('sends security headers, and the CSP nonce matches the page scripts', async () => {
    const response = await fetch(`${app.url}/`);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Plain http here: no HSTS (it is sent when PUBLIC_URL is https).
    expect(response.headers.get('strict-transport-security')).toBeNull();
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const html = await response.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toContain(`nonce="${nonce}"`);
    const second = await fetch(`${app.url}/`);
    expect(/'nonce-([^']+)'/.exec(second.headers.get('content-security-policy')!)?.[1]).not.toBe(nonce);
  });

  it('keeps a well-formed caller request id and makes one otherwise', async () => {
    const kept = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'lb-trace-12345678' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-trace-12345678');
    const made = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('shows the patient home page in the brand name, in English and in Spanish', async () => {
    const en = await (await fetch(`${app.url}/`)).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Your Harbor Health patient portal is moving');
    expect(en).toContain('+1 (555) 010-0100');
    const es = await (
      await fetch(`${app.url}/`, { headers: { 'accept-language': 'es-MX,es;q=0.9,en;q=0.5' } })
    ).text();
    expect(es).toContain('<html lang="es">');
    expect(es).toContain('Su portal de pacientes de Harbor Health se está mudando');
    const chosen = await (await fetch(`${app.url}/?lng=es`)).text();
    expect(chosen).toContain('<html lang="es">');
  });

  it('answers an unknown path with a friendly page', async () => {
    const response = await fetch(`${app.url}/old/portal/page`);
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain('We could not find that page');
    expect(html).toContain('href="/"');
  });

  it('logs requests without query strings, emails, ids or cookies', async () => {
    await fetch(`${app.url}/patients/maria.lopez@example.org/visits/4815162342?token=s3cr3t-t0ken`, {
      headers: { cookie: 'cw_staff=session-token-value' },
    });
    const line = app.logs.find((l) => l.includes('/patients/'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!) as { req: { path: string } };
    expect(entry.req.path).toBe('/patients/:email/visits/:id');
    const everything = app.logs.join('\n');
    for (const secret of ['maria', '4815162342', 's3cr3t', 'session-token-value'])
      expect(everything).not.toContain(secret);
  });
});

describe('readiness', () => {
  it('goes false when the database is unreachable', async () => {
    const other = await startTestApp();
    try {
      await other.database.close();
      const response = await fetch(`${other.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not_ready', database: 'unreachable' });
      // A page that needs the database says so kindly, and the failure goes to the structured log.
      const page = await fetch(`${other.url}/staff`, { headers: { cookie: 'cw_staff=some-token' } });
      expect(page.status).toBe(500);
      expect(await page.text()).toContain(
        'Please try again. If it keeps happening, tell the on-call engineer.',
      );
      expect(other.logs.some((line) => line.includes('"path":"/staff","msg":"route error"'))).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('behind a TLS proxy, accepts posts from the public https origin and refuses others', async () => {
    const proxied = await startTestApp({ PUBLIC_URL: 'https://portal.example.org', TRUST_PROXY: '1' });
    try {
      const post = (origin: string, proto: string) =>
        fetch(`${proxied.url}/staff/logout`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            origin,
            'x-forwarded-proto': proto,
            'x-forwarded-host': 'portal.example.org',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: '',
        });
      // Behind the TLS proxy the browser's origin is the https public URL: it passes the origin check
      // and reaches the action, which then wants its CSRF token.
      const ours = await post('https://portal.example.org', 'https');
      expect(ours.status).toBe(403);
      expect(await ours.text()).toContain('This form has expired');
      const theirs = await post('https://elsewhere.example', 'https');
      expect(theirs.status).toBe(403);
      expect(await theirs.text()).toBe('This request came from another site and was refused.\n');
    } finally {
      await proxied.close();
    }
  });

  it('sends HSTS when the public URL is https', async () => {
    const secure = await startTestApp({ PUBLIC_URL: 'https://portal.example.org' });
    try {
      const response = await fetch(`${secure.url}/healthz`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await secure.close();
    }
  });
});
