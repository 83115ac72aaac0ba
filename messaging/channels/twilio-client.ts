// The Twilio SDK, loaded only by processes that send SMS through Twilio (it takes a while to load).
//
// TWILIO_API_BASE_URL points the SDK somewhere other than https://api.twilio.com (a proxy, or the
// loopback stand-in the tests run). The SDK has no base-URL option, but it accepts an `httpClient`:
// ours is its own RequestClient with `request` rewriting each absolute URI onto the base, after the
// SDK has built it (region and edge included), so every call the SDK makes goes there.
import http from 'node:http';
import type https from 'node:https';
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient';
import type { TwilioSettings } from './sms.ts';

export function twilioClient(settings: TwilioSettings) {
  const httpClient = new BaseUrlRequestClient(settings.apiBaseUrl, { timeout: 10_000 });
  return { httpClient, client: twilio(settings.accountSid, settings.authToken, { httpClient }) };
}

/** The SDK's own HTTP client, sending to `baseUrl` instead of Twilio's hosts when one is given. */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL | null;
  private readonly httpAgent = new http.Agent({ keepAlive: true });

  constructor(baseUrl: string | undefined, options: TwilioRequestClient.RequestClientOptions = {}) {
    super(options);
    this.base = baseUrl ? new URL(baseUrl) : null;
    // The SDK only configures an https agent; a plain-http base (loopback) gets one we can close.
    this.axios.defaults.httpAgent = this.httpAgent;
  }

  override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: this.rewrite(opts.uri) });
  }

  /** https://api.twilio.com/2010-04-01/… → {base}/2010-04-01/… (keeping a path prefix of the base). */
  rewrite(uri: string): string {
    if (!this.base) return uri;
    const original = new URL(uri);
    const target = new URL(this.base);
    target.pathname = `${this.base.pathname.replace(/\/+$/, '')}${original.pathname}`;
    target.search = original.search;
    return target.toString();
  }

  /** Closes kept-alive connections, so a stopping process does not wait on them. */
  destroy() {
    this.httpAgent.destroy();
    // An https.Agent, or a proxy agent when HTTP_PROXY is set (which may have no destroy).
    (this.axios.defaults.httpsAgent as Partial<Pick<https.Agent, 'destroy'>> | undefined)?.destroy?.();
  }
}
