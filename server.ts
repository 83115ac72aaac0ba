// The HTTP server: security headers, request ids and logs, health and metrics, then the Remix portal.
// The OIDC provider mounts at /oidc (see `mountOidc` below) before anything parses a body.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import type { ServerBuild } from '@remix-run/node';
import * as cookie from 'cookie';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { CountryCode } from 'libphonenumber-js';
import { pinoHttp } from 'pino-http';
import type { AppServices, CoreServices } from './app/services.server.ts';
import { createDb } from './db/client.ts';
import { createFieldCipher } from './identity/encryption.ts';
import { closeOffThreadPool } from './identity/credentials/offthread.ts';
import { createLegacyVerifier } from './identity/legacy-verify.ts';
import { createOidc } from './identity/oidc/provider.ts';
import { createPatientSessions } from './identity/patient-sessions.ts';
import { createPatientSignIn } from './identity/patient-sign-in.ts';
import { createSignInGuard } from './identity/sign-in-guard.ts';
import { createPatientWelcome } from './identity/patient-welcome.ts';
import { recordSignIn, type SignInRecord } from './identity/record-sign-in.ts';
import { createSignInLinks } from './identity/sign-in-links.ts';
import { createLegacyLinks } from './identity/legacy-bridge/legacy-links.ts';
import { createLegacySessionBridge } from './identity/legacy-bridge/legacy-session.ts';
import { createDeliveryTokens } from './messaging/delivery-tokens.ts';
import { createMessaging } from './messaging/messaging.ts';
import { createDispatcher } from './messaging/waves/dispatch.ts';
import { startWaveRunner, type WaveRunner } from './messaging/waves/runner.ts';
import { createSignInTally } from './messaging/waves/sign-in-tally.ts';
import { createWaves } from './messaging/waves/waves.ts';
import { createWaveLinks } from './messaging/waves/attribution.ts';
import { transitionSmsSegments } from './messaging/waves/sms-segments.ts';
import { createMessageWebhooks } from './messaging/webhooks.ts';
import { parseBusinessHours } from './messaging/support/business-hours.ts';
import { createSupport } from './messaging/support/support.ts';
import { createUrlRouter } from './identity/url-rules/router.ts';
import { createStaffService } from './identity/staff/staff-service.ts';
import type { Config } from './infra/env.ts';
import { CSRF_COOKIE, csrfTokenFor } from './infra/csrf.ts';
import { createLogger, type Logger } from './infra/logger.ts';
import { areaOf, createMetrics } from './infra/metrics.ts';
import { sanitizePath } from './infra/redact.ts';

const root = path.dirname(fileURLToPath(import.meta.url));
export const buildDir = path.join(root, 'build');

/** Opens the database and wires every service once (the OIDC provider comes with `addOidc`). */
export async function createServices(config: Config, logger?: Logger): Promise<CoreServices> {
  const log = logger ?? createLogger({ level: config.logLevel });
  const database = await createDb({
    url: config.databaseUrl,
    dataDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.databasePoolSize,
  });
  return wireServices(config, database, log);
}

export function wireServices(
  config: Config,
  database: AppServices['database'],
  logger: Logger,
  options: { now?: () => Date } = {},
): CoreServices {
  const metrics = createMetrics();
  const cipher = createFieldCipher(config.secrets.DATA_ENCRYPTION_KEY);
  const staff = createStaffService({
    now: options.now,
    db: database.db,
    cipher,
    settings: config.staff,
    issuer: `${config.brand.name} staff`,
    onSignInOutcome: (outcome) => metrics.staffSignIns.inc({ outcome }),
  });
  const legacyVerifier = config.legacyVerify
    ? createLegacyVerifier({
        ...config.legacyVerify,
        onCall: (outcome) => metrics.legacyVerifyCalls.inc({ outcome }),
      })
    : null;
  const signInGuard = createSignInGuard({
    db: database.db,
    secret: config.secrets.SESSION_SECRET,
    attemptsPerAddress: config.signInLimits.attemptsPerAddress,
    failuresPerIdentifier: config.signInLimits.failuresPerIdentifier,
    lockMs: config.signInLimits.lockMs,
  });
  const patientSessions = createPatientSessions({
    db: database.db,
    ttlMs: config.patientSessionMs,
    now: options.now,
  });
  const patientSignIn = createPatientSignIn({
    db: database.db,
    defaultRegion: config.phoneDefaultRegion as CountryCode,
    legacyVerifier,
    guard: signInGuard,
    maxConcurrent: config.signInLimits.maxConcurrent,
    now: options.now,
    onOutcome: (outcome, family, seconds) => {
      metrics.patientSignIns.inc({ outcome });
      signInTally.add(outcome);
      if (family) metrics.passwordVerifySeconds.observe({ family }, seconds);
    },
  });
  const now = options.now ?? (() => new Date());
  const messaging = createMessaging({ config, db: database.db, logger });
  const deliveryTokens = createDeliveryTokens(config.secrets.SESSION_SECRET);
  const signInTally = createSignInTally(database.db);
  const waveWake = { wake: () => {} };
  const waves = createWaves({
    db: database.db,
    rates: { emailPerSecond: config.waves.emailPerSecond, smsPerSecond: config.waves.smsPerSecond },
    smsSegments: (stage) => transitionSmsSegments(stage, config.brand, config.publicUrl),
    kick: async () => waveWake.wake(),
    now: options.now,
  });
  const signInLinks = createSignInLinks({
    db: database.db,
    secret: config.secrets.SESSION_SECRET,
    publicUrl: config.publicUrl,
    defaultRegion: config.phoneDefaultRegion as CountryCode,
    deliver: messaging.deliverSignIn,
    ttlMs: config.signInLinks.ttlMs,
    requestsPerIdentifier: config.signInLinks.requestsPerIdentifier,
    requestsPerAddress: config.signInLinks.requestsPerAddress,
    windowMs: config.signInLinks.windowMs,
    guard: signInGuard,
    logger,
    now: options.now,
    onOutcome: (event) => {
      metrics.passwordlessEvents.inc({ event });
      if (event.endsWith('_redeemed')) signInTally.add('success');
    },
  });
  const businessHours = parseBusinessHours(
    config.support.hours,
    config.support.timeZone,
    config.support.holidays,
  );
  if ('error' in businessHours) throw new Error(`SUPPORT_HOURS: ${businessHours.error}`);
  const support = createSupport({
    db: database.db,
    cipher,
    email: messaging.email,
    sms: messaging.sms,
    brand: config.brand,
    publicUrl: config.publicUrl,
    secret: config.secrets.SESSION_SECRET,
    replyAddress: config.support.replyAddress,
    businessHours,
    logger,
    now: options.now,
  });
  const { legacyBridge } = config;
  const urlRouter = createUrlRouter({
    db: database.db,
    config,
    now: options.now,
    logger,
    // Rules another process changed (an import, another server) are picked up within half a minute.
    refreshEveryMs: 30_000,
  });
  return {
    urlRouter,
    now,
    config,
    database,
    logger,
    metrics,
    cipher,
    staff,
    patientSignIn,
    signInGuard,
    patientSessions,
    patientWelcome: createPatientWelcome({ db: database.db, now: options.now }),
    messaging,
    messageWebhooks: createMessageWebhooks({
      db: database.db,
      cipher,
      tokens: deliveryTokens,
      config,
      logger,
      now: options.now,
      supportText: (input) => support.receiveText(input),
    }),
    support,
    signInLinks,
    waves,
    waveWake,
    waveLinks: createWaveLinks(database.db, deliveryTokens),
    signInTally,
    legacyLinks: legacyBridge.links
      ? createLegacyLinks({
          db: database.db,
          links: legacyBridge.links,
          parallelRunEndsAt: legacyBridge.parallelRunEndsAt,
          now: options.now,
        })
      : null,
    legacySession: legacyBridge.session
      ? createLegacySessionBridge({
          db: database.db,
          session: legacyBridge.session,
          parallelRunEndsAt: legacyBridge.parallelRunEndsAt,
          now: options.now,
        })
      : null,
    recordSignIn: (record: Omit<SignInRecord, 'at'>) => recordSignIn(database.db, { ...record, at: now() }),
  };
}

/**
 * Starts this process's wave workers (dispatch loops and the minute upkeep through pg-boss). `serve`
 * runs them beside the portal (the embedded database is one process's); `causeway worker` runs only them.
 */
export async function startWaveWorkers(core: CoreServices): Promise<WaveRunner> {
  const { config, database, messaging, logger } = core;
  const dispatcher = createDispatcher({
    db: database.db,
    email: messaging.email,
    sms: messaging.sms,
    tokens: createDeliveryTokens(config.secrets.SESSION_SECRET),
    brand: config.brand,
    publicUrl: config.publicUrl,
    mailFrom: config.messaging.mailFrom,
    unsubscribeAddress: config.email.unsubscribeAddress,
    settings: {
      rates: { email: config.waves.emailPerSecond, sms: config.waves.smsPerSecond },
      concurrency: config.waves.concurrency,
      claimStaleMs: config.waves.claimStaleMs,
      maxAttempts: config.waves.maxAttempts,
    },
    logger,
    statusCallbacks: messaging.sms.mode === 'twilio',
  });
  const runner = await startWaveRunner({
    database,
    databaseUrl: config.databaseUrl,
    dispatcher,
    waves: core.waves,
    breaker: config.waves.breaker,
    logger,
    alsoEveryMinute: [() => core.support.upkeep()],
  });
  core.waveWake.wake = () => runner.wake();
  return runner;
}

/** Starts the OIDC provider (its keys live in the database, so this comes after migrations). */
export async function addOidc(core: CoreServices): Promise<AppServices> {
  const oidc = await createOidc({
    db: core.database.db,
    cipher: core.cipher,
    config: core.config,
    logger: core.logger,
    sessions: core.patientSessions,
    onEvent: (event) => core.metrics.oidcEvents.inc({ event }),
  });
  return { ...core, oidc };
}

export async function loadBuild(): Promise<ServerBuild> {
  const file = path.join(buildDir, 'server', 'index.js');
  if (!existsSync(file)) {
    throw new Error(
      `The portal has not been built yet (${path.relative(process.cwd(), file)} is missing): run "npm run build".`,
    );
  }
  return (await import(pathToFileURL(file).href)) as ServerBuild;
}

export interface AppOptions {
  services: AppServices;
  build: ServerBuild;
}

export function createApp({ services, build }: AppOptions): express.Express {
  const { config, logger, metrics, database } = services;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const publicOrigin = new URL(config.publicUrl).origin;

  // Request id: a caller's well-formed id is kept so a trace spans the load balancer.
  app.use((req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    next();
  });

  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => (res as Response).locals.requestId as string,
      // Only the method, a PHI-free path and the status: no query string, headers or cookies.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: sanitizePath(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: {
        ignore: (req) =>
          ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') ||
          (req.url ?? '').startsWith('/assets/'),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );

  app.use((req, res, next) => {
    const end = metrics.httpRequestDuration.startTimer({ method: req.method, area: areaOf(req.path) });
    res.on('finish', () => end({ status: String(res.statusCode) }));
    next();
  });

  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    next();
  });
  // Registered relying parties' origins, read per response so a new client counts at once, and the two
  // platforms URL rules send patients to: a sign-in form may end in a redirect to any of them, and
  // browsers hold a form's redirects to form-action.
  const platformOrigins = [config.platforms.newUrl, config.platforms.legacyUrl].flatMap((url) =>
    url ? [new URL(url).origin] : [],
  );
  const formActionOrigins = () =>
    [...new Set([...services.oidc.formActionOrigins(), ...platformOrigins])].join(' ');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as Response).locals.cspNonce as string}'`],
          styleSrc: ["'self'", (_req, res) => `'nonce-${(res as Response).locals.cspNonce as string}'`],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          // Sign-in forms end in a redirect to the relying party: browsers hold redirects to form-action.
          formAction: ["'self'", formActionOrigins],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          objectSrc: ["'none'"],
          ...(config.secure ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: config.secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      // same-origin: other sites never see our URLs (which may carry tokens); our own forms keep a real
      // Origin header, which the CSRF checks need (no-referrer makes browsers send `Origin: null`).
      referrerPolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: false,
      xFrameOptions: { action: 'deny' },
    }),
  );
  app.use((req, res, next) => {
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    // Staff pages show personal data: no browser or proxy may keep a copy.
    if (req.path === '/staff' || req.path.startsWith('/staff/')) res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get(
    '/readyz',
    handle(async (_req, res) => {
      try {
        await withTimeout(database.ping(), 2_000);
        res.json({ status: 'ready', database: 'ok' });
      } catch {
        res.status(503).json({ status: 'not_ready', database: 'unreachable' });
      }
    }),
  );
  app.get(
    '/metrics',
    handle(async (req, res) => {
      if (config.metricsToken && req.get('authorization') !== `Bearer ${config.metricsToken}`) {
        res.status(401).type('text/plain').send('Unauthorized\n');
        return;
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );

  // The OIDC provider: mounted before any body parser or CSRF check, as it needs (it checks its own
  // forms, and its token endpoints are called by relying parties, not browsers).
  app.use('/oidc', (req, res) => {
    void services.oidc.handle(req, res);
  });

  // A state change must come from our own pages: refuse cross-site form posts before they reach
  // an action (each action also checks the CSRF token).
  app.use((req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || req.path.startsWith('/webhooks/')) return next();
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const ownOrigin = `${req.protocol}://${req.get('host') ?? ''}`;
    // `Origin: null` (sandboxed frames, privacy redirects) is not one of ours either.
    if (site === 'cross-site' || (origin && origin !== publicOrigin && origin !== ownOrigin)) {
      req.log.warn({ site, originIsNull: origin === 'null' }, 'cross-site state change refused');
      res.status(403).type('text/plain').send('This request came from another site and was refused.\n');
      return;
    }
    next();
  });

  // Every browser gets a random CSRF cookie; forms carry its HMAC.
  app.use((req, res, next) => {
    let value = cookie.parse(req.headers.cookie ?? '')[CSRF_COOKIE];
    if (!value || !/^[\w-]{43}$/.test(value)) {
      value = randomBytes(32).toString('base64url');
      res.append(
        'Set-Cookie',
        cookie.serialize(CSRF_COOKIE, value, {
          httpOnly: true,
          sameSite: 'lax',
          secure: config.secure,
          path: '/',
        }),
      );
    }
    res.locals.csrfToken = csrfTokenFor(config.secrets.SESSION_SECRET, value);
    next();
  });

  const clientDir = path.join(buildDir, 'client');
  app.use(
    '/assets',
    express.static(path.join(clientDir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
  );
  // Files at the root (robots.txt, brand/logo.svg): only a path whose last part has an extension can
  // be one, so page requests skip the file-system check.
  const serveRootFiles = express.static(clientDir, { maxAge: '1h', index: false });
  app.use((req, res, next) => {
    if (!/\.[a-z0-9]+$/i.test(req.path)) return next();
    serveRootFiles(req, res, next);
  });

  app.all(
    '*',
    handle(
      createRequestHandler({
        build,
        mode: config.env === 'production' ? 'production' : 'development',
        getLoadContext: (req, res) => ({
          services,
          node: { req, res },
          clientAddress: req.ip,
          cspNonce: res.locals.cspNonce as string,
          csrfToken: res.locals.csrfToken as string,
          requestId: res.locals.requestId as string,
        }),
      }),
    ),
  );

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    req.log.error({ err }, 'unhandled error');
    if (!res.headersSent)
      res.status(500).type('text/plain').send('Something went wrong on our side. Please try again.\n');
  });
  return app;
}

/** Express 4 ignores a rejected promise: pass it to the error handler instead. */
function handle(fn: (req: Request, res: Response, next: NextFunction) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, next).catch(next);
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Listens, and closes gracefully: stop accepting, finish requests in flight, then close the database. */
export async function listen(
  app: express.Express,
  services: AppServices,
  port: number,
  host: string,
): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}`,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Requests still running after 10 s are cut so shutdown always ends.
          setTimeout(() => server.closeAllConnections(), 10_000).unref();
        });
        services.oidc.close();
        await services.signInLinks.settle();
        await services.urlRouter.close();
        await services.messaging.close();
        await services.database.close();
        await closeOffThreadPool();
      })();
      return closing;
    },
  };
}
