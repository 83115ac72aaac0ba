// The OpenID Connect provider the new platform signs patients in through: oidc-provider 9 at /oidc,
// with its sign-in and consent interactions rendered by the portal (/interaction/:uid).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { eq } from 'drizzle-orm';
import Provider, {
  type Configuration,
  type InteractionResults,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Db } from '../../db/client.ts';
import { appendAudit } from '../../db/audit.ts';
import { cohorts, patients } from '../../db/schema/index.ts';
import type { Config } from '../../infra/env.ts';
import type { Logger } from '../../infra/logger.ts';
import type { FieldCipher } from '../encryption.ts';
import { PATIENT_COOKIE, type PatientSessions } from '../patient-sessions.ts';
import { createAdapterFactory } from './adapter.ts';
import { clientLaunch, clientOrigins } from './clients.ts';
import { ensureKeys, loadKeySet, type KeySet } from './keys.ts';
import { logoutSource, postLogoutSuccessSource, renderError } from './pages.ts';

/** Token lifetimes, in seconds (docs/decisions/008-oidc-provider.md explains each). */
export const ttl = {
  AuthorizationCode: 60,
  AccessToken: 15 * 60,
  IdToken: 60 * 60,
  Interaction: 30 * 60,
  RefreshToken: 30 * 24 * 60 * 60,
  Grant: 30 * 24 * 60 * 60,
} as const;

/** DESIGN §4.6: the claims each scope releases. */
export const scopeClaims = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  profile: ['given_name', 'family_name', 'birthdate', 'locale', 'zoneinfo'],
  patient: ['legacy_id', 'new_platform_id', 'cohort', 'fhirUser'],
} as const;

export interface OidcDeps {
  db: Db;
  cipher: FieldCipher;
  config: Config;
  logger: Logger;
  sessions: PatientSessions;
  /** Counts provider events (a Prometheus counter in the server). */
  onEvent?: (event: string) => void;
}

async function patientClaims(db: Db, sub: string, fhirBase: string | undefined) {
  const [row] = await db
    .select({ patient: patients, cohort: cohorts.name })
    .from(patients)
    .leftJoin(cohorts, eq(cohorts.id, patients.cohortId))
    .where(eq(patients.id, sub))
    .limit(1);
  if (!row || row.patient.state === 'closed') return undefined;
  const p = row.patient;
  return {
    sub: p.id,
    email: p.email ?? undefined,
    email_verified: p.email ? p.emailVerified : undefined,
    phone_number: p.phone ?? undefined,
    phone_number_verified: p.phone ? p.phoneVerified : undefined,
    given_name: p.givenName ?? undefined,
    family_name: p.familyName ?? undefined,
    birthdate: p.birthDate ?? undefined,
    locale: p.locale,
    zoneinfo: p.timeZone,
    legacy_id: p.legacyId,
    new_platform_id: p.newPlatformId ?? undefined,
    cohort: row.cohort ?? undefined,
    fhirUser:
      fhirBase && p.newPlatformId ? `${fhirBase}/Patient/${encodeURIComponent(p.newPlatformId)}` : undefined,
  };
}

function configuration(deps: OidcDeps, keys: KeySet): Configuration {
  const { db, cipher, config } = deps;
  const secure = config.secure;
  return {
    adapter: createAdapterFactory(db, cipher),
    clients: [],
    async findAccount(_ctx, sub) {
      const claims = await patientClaims(db, sub, config.oidc.fhirBaseUrl);
      if (!claims) return undefined;
      return { accountId: sub, claims: () => claims };
    },
    // `amr` (how the patient proved themself) and `auth_time` ride with `openid`, so every ID token says.
    claims: { ...scopeClaims, openid: ['sub', 'amr', 'auth_time'], acr: null, sid: null },
    scopes: ['openid', 'offline_access', ...Object.keys(scopeClaims).filter((s) => s !== 'openid')],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Exact redirect URIs: a client must always name one of its registered URIs.
    allowOmittingSingleRegisteredRedirectUri: false,
    extraClientMetadata: {
      properties: ['first_party'],
      validator(_ctx, key, value) {
        if (key === 'first_party' && typeof value !== 'boolean')
          throw new Error('first_party must be a boolean');
      },
    },
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false;
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      requestObjects: { enabled: false },
      userinfo: { enabled: true },
      revocation: {
        enabled: true,
        // A client may revoke only what was issued to it.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // The new platform's back end (a confidential client) introspects its own tokens only.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    ttl: {
      AuthorizationCode: ttl.AuthorizationCode,
      AccessToken: ttl.AccessToken,
      IdToken: ttl.IdToken,
      Interaction: ttl.Interaction,
      RefreshToken: ttl.RefreshToken,
      Grant: ttl.Grant,
      Session: Math.floor(config.patientSessionMs / 1000),
      ClientCredentials: ttl.AccessToken,
      DeviceCode: 10 * 60,
      BackchannelAuthenticationRequest: 10 * 60,
    },
    // Every refresh rotates the token; presenting a used one revokes the whole grant (RFC 9700 §4.14).
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    renderError,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: {
      keys: keys.cookieKeys,
      names: { session: 'cw_oidc_session', interaction: 'cw_oidc_interaction', resume: 'cw_oidc_resume' },
      long: { httpOnly: true, sameSite: 'lax', secure },
      short: { httpOnly: true, sameSite: 'lax', secure },
    },
    jwks: { keys: keys.jwks as NonNullable<Configuration['jwks']>['keys'] },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    conformIdTokenClaims: true,
  };
}

export interface InteractionDetails {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
  client: { clientId: string; name: string; firstParty: boolean; initiateLoginUri?: string };
}

/**
 * Whether a sign-in interaction may be completed with the patient's portal session instead of asking
 * again: not when the client demands a fresh sign-in (prompt=login, an ID token hint for someone
 * else), when the provider already knows another patient in this browser, or when the portal sign-in
 * is older than the client's max_age (completing it would only send the browser straight back).
 */
export function portalSessionSuffices(
  details: InteractionDetails,
  portal: { patientId: string; startedAt: Date },
  now = new Date(),
): boolean {
  // (The provider also names `max_age` when it has no session of its own; the portal's age decides.)
  if (details.prompt.reasons.some((r) => r === 'login_prompt' || r === 'id_token_hint')) return false;
  if (details.session && details.session.accountId !== portal.patientId) return false;
  const maxAge = Number(details.params.max_age);
  if (details.params.max_age !== undefined && Number.isFinite(maxAge))
    return now.getTime() - portal.startedAt.getTime() <= maxAge * 1000;
  return true;
}

/** The provider's own interaction record behind each details object this module handed out. */
interface LoadedInteraction {
  result?: InteractionResults;
  exp: number;
  returnTo: string;
  save(ttl: number): Promise<unknown>;
}
const loadedInteractions = new WeakMap<InteractionDetails, LoadedInteraction>();

export async function createOidc(deps: OidcDeps) {
  const { db, cipher, config, logger } = deps;
  const issuer = `${config.publicUrl}/oidc`;
  const keepAfterRetireMs = (Math.max(ttl.IdToken, ttl.AccessToken) + 5 * 60) * 1000;
  await ensureKeys(db, cipher);

  interface Current {
    provider: Provider;
    handler: ReturnType<Provider['callback']>;
    fingerprint: string;
    origins: string[];
  }

  async function build(): Promise<Current> {
    const keys = await loadKeySet(db, cipher, { keepAfterRetireMs });
    const provider = new Provider(issuer, configuration(deps, keys));
    provider.proxy = config.trustProxy !== false;
    provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc provider error'));
    const count = (event: string) => () => deps.onEvent?.(event);
    provider.on('authorization.success', count('authorization'));
    provider.on('authorization.error', count('authorization_refused'));
    provider.on('grant.error', count('token_refused'));
    provider.on('grant.revoked', count('grant_revoked'));
    provider.on('end_session.success', count('signed_out'));
    provider.on('grant.success', (ctx: KoaContextWithOIDC) =>
      deps.onEvent?.(`token_${String(ctx.oidc.params?.grant_type ?? 'unknown')}`),
    );
    provider.on('grant.revoked', (_ctx, grantId) => {
      void appendAudit(db, {
        action: 'oidc.grant_revoked',
        actorType: 'system',
        subjectType: 'oidc_grant',
        subjectId: grantId,
        data: {},
      }).catch((err: unknown) => logger.error({ err }, 'audit of a revoked grant failed'));
    });
    provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
      // RP-initiated logout ends the portal session too.
      const token = ctx.cookies.get(PATIENT_COOKIE);
      ctx.cookies.set(PATIENT_COOKIE, null, { path: '/', signed: false });
      void deps.sessions.end(token).catch((err: unknown) => logger.error({ err }, 'ending a session failed'));
    });
    return {
      provider,
      handler: provider.callback(),
      fingerprint: keys.fingerprint,
      origins: await clientOrigins(db),
    };
  }

  let current = await build();
  let refreshing: Promise<void> | null = null;

  /** Picks up rotated keys and new clients (another process may have changed them). */
  async function refresh() {
    refreshing ??= (async () => {
      try {
        const keys = await loadKeySet(db, cipher, { keepAfterRetireMs });
        if (keys.fingerprint !== current.fingerprint) current = await build();
        else current.origins = await clientOrigins(db);
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }
  const timer = setInterval(() => {
    refresh().catch((err: unknown) => logger.error({ err }, 'refreshing the OIDC keys failed'));
  }, 60_000);
  timer.unref();

  async function clientInfo(clientId: string) {
    const client = await current.provider.Client.find(clientId);
    return {
      clientId,
      name: client?.clientName ?? clientId,
      firstParty: (client?.['first_party'] as boolean | undefined) ?? false,
      initiateLoginUri: client?.initiateLoginUri,
    };
  }

  return {
    issuer,
    get provider() {
      return current.provider;
    },
    refresh,
    /** Origins our sign-in forms may send the browser on to (for the CSP form-action). */
    formActionOrigins: () => current.origins,
    handle(req: IncomingMessage, res: ServerResponse) {
      return current.handler(req, res);
    },
    /** The interaction this browser is in, or null when it has expired or never existed. */
    async interaction(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails | null> {
      try {
        const details = await current.provider.interactionDetails(req, res);
        const view: InteractionDetails = {
          uid: details.uid,
          prompt: details.prompt as InteractionDetails['prompt'],
          params: details.params,
          session: details.session?.accountId ? { accountId: details.session.accountId } : undefined,
          grantId: details.grantId,
          client: await clientInfo(details.params.client_id as string),
        };
        loadedInteractions.set(view, details as unknown as LoadedInteraction);
        return view;
      } catch (error) {
        if (error instanceof Error && error.name === 'SessionNotFound') return null;
        throw error;
      }
    },
    /**
     * Records the interaction's outcome; returns where the browser goes next. Given the details this
     * request already loaded, it saves that record instead of reading it again (what the provider's
     * own interactionResult does after a second read).
     */
    async finish(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      details?: InteractionDetails,
    ): Promise<string> {
      const interaction = details && loadedInteractions.get(details);
      if (!interaction)
        return current.provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
      interaction.result = result;
      await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
      return interaction.returnTo;
    },
    /** Grants what the interaction asks for (consent given, or a first-party client). */
    async grant(details: InteractionDetails, signedIn?: string): Promise<string> {
      const { Grant } = current.provider;
      const accountId = signedIn ?? details.session?.accountId;
      if (!accountId) throw new Error('consent asked before sign-in');
      const existing = details.grantId ? await Grant.find(details.grantId) : undefined;
      const grant = existing ?? new Grant({ accountId, clientId: details.client.clientId });
      // At consent, the provider lists what is missing; a first-party client signing in is granted
      // the scopes it asked for in the same step.
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      const scopes =
        details.prompt.name === 'consent'
          ? (missing.missingOIDCScope ?? [])
          : String(details.params.scope ?? 'openid').split(' ');
      if (existing && scopes.length === 0 && !missing.missingOIDCClaims) return existing.jti;
      if (scopes.length) grant.addOIDCScope(scopes.join(' '));
      if (details.prompt.name === 'consent' && missing.missingOIDCClaims)
        grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await appendAudit(db, {
        action: 'oidc.consent_given',
        actorType: 'patient',
        actorId: accountId,
        subjectType: 'patient',
        subjectId: accountId,
        data: { clientId: details.client.clientId, scopes, firstParty: details.client.firstParty },
      });
      return grantId;
    },
    /**
     * Where a patient signed in on the portal continues: the client that asked (a link opened on another
     * device), or the new platform itself, through its initiate_login_uri (third-party-initiated login).
     */
    async launch(clientId?: string): Promise<{ name: string; url: string } | null> {
      const target = await clientLaunch(db, clientId);
      if (!target) return null;
      const url = new URL(target.initiateLoginUri);
      url.searchParams.set('iss', issuer);
      return { name: target.name, url: url.href };
    },
    /** Ends the provider's session in this browser (the portal's own sign-out). */
    async endBrowserSession(req: IncomingMessage, res: ServerResponse) {
      const ctx = current.provider.createContext(req, res);
      const session = await current.provider.Session.get(ctx as unknown as KoaContextWithOIDC);
      if (session.accountId) await session.destroy();
    },
    close() {
      clearInterval(timer);
    },
  };
}

export type Oidc = Awaited<ReturnType<typeof createOidc>>;
