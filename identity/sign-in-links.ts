// Sign-in links and codes for patients who never had (or forgot) a password: requested by email or
// phone, delivered through the channel the server wired in, redeemed once.
//
// A request answers the same whether or not an account exists. The link token (256 bits) and the short
// code are stored only as HMACs bound to their purpose; the code's HMAC also binds the identifier the
// patient typed, so a code works only beside the address it was asked for. Redemption is one
// conditional update, so of many simultaneous redemptions exactly one signs in.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { CountryCode } from 'libphonenumber-js';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { patients, rateLimits, signInTokens } from '../db/schema/index.ts';
import type { Logger } from '../infra/logger.ts';
import { normalizeIdentifier } from './patient-sign-in.ts';
import { recordSignIn } from './record-sign-in.ts';
import type { DeliverSignInMessage, SignInMessage, SignInMessageRecipient } from './sign-in-delivery.ts';
import type { SignInGuard } from './sign-in-guard.ts';

/** Letters and digits that cannot be misread for one another (no I/1, O/0). */
export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 6;

export function generateCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** What a patient typed, as a code: case, spaces and dashes do not matter. */
export function normalizeCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return code.length === CODE_LENGTH && [...code].every((c) => CODE_ALPHABET.includes(c)) ? code : null;
}

/** How a code is shown: two groups of three. */
export function formatCode(code: string): string {
  return `${code.slice(0, 3)}-${code.slice(3)}`;
}

export type LinkChannel = 'email' | 'sms';

export type LinkRequestResult =
  /** Sent if an account exists and can be reached: the page says exactly that, either way. */
  | { ok: true }
  | { ok: false; reason: 'invalid_identifier' }
  | { ok: false; reason: 'too_many_requests'; retryAfterSeconds: number };

export type RedeemFailure =
  /** No such link, or a wrong code: one answer, which reveals nothing. */
  | 'invalid'
  | 'expired'
  | 'used'
  /** The account was locked or closed since the link was sent. */
  | 'unavailable';

export type RedeemResult =
  | {
      ok: true;
      patientId: string;
      amr: 'magic_link' | 'otp';
      firstSignIn: boolean;
      /** The OIDC interaction the request came from, to resume it in the same browser. */
      interactionUid: string | null;
      clientId: string | null;
    }
  | { ok: false; reason: RedeemFailure; patientId?: string }
  | { ok: false; reason: 'too_many_attempts'; retryAfterSeconds: number };

export type LinkCheck =
  | { ok: true; channel: LinkChannel }
  /** `patientId` when the link was genuine, so a new one can be sent in one click. */
  | { ok: false; reason: 'invalid' | 'expired' | 'used'; patientId?: string };

export interface SignInLinksDeps {
  db: Db;
  /** Keys the token and code hashes and the rate-limit keys. */
  secret: string;
  publicUrl: string;
  defaultRegion: CountryCode;
  deliver: DeliverSignInMessage;
  ttlMs: number;
  requestsPerIdentifier: number;
  requestsPerAddress: number;
  windowMs: number;
  /** Counts wrong codes per identifier (the same lock as wrong passwords). */
  guard: SignInGuard;
  logger?: Logger;
  now?: () => Date;
  onOutcome?: (event: string) => void;
}

const PURPOSE = 'sign_in';
const MAX_CANDIDATES = 5;

export function createSignInLinks(deps: SignInLinksDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const mac = (label: string, value: string) =>
    createHmac('sha256', deps.secret).update(`${PURPOSE}:${label}:${value}`).digest('base64url');
  const linkHash = (token: string) => mac('link', token);
  const codeKey = (identifier: string, code: string) => mac('code', `${identifier}\n${code}`);
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterDrizzle({
      storeClient: db,
      schema: rateLimits,
      keyPrefix,
      points,
      duration: Math.ceil(deps.windowMs / 1000),
      clearExpiredByTimeout: false,
    });
  const perAddress = limiter('link-addr', deps.requestsPerAddress);
  const perIdentifier = limiter('link-id', deps.requestsPerIdentifier);
  const expiresMinutes = Math.round(deps.ttlMs / 60_000);
  // Deliveries run after the answer, so its timing does not tell whether an account exists.
  const pending = new Set<Promise<void>>();

  async function consume(limit: RateLimiterDrizzle, key: string): Promise<number | null> {
    try {
      await limit.consume(key);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  }

  async function audit(action: string, patientId: string | null, data: Record<string, unknown>) {
    await appendAudit(db, {
      action,
      actorType: patientId ? 'patient' : 'system',
      actorId: patientId,
      subjectType: patientId ? 'patient' : null,
      subjectId: patientId,
      data,
    });
  }

  function send(message: SignInMessage) {
    const job = (async () => {
      const result = await deps.deliver(message);
      deps.onOutcome?.(result.ok ? `${message.kind}_sent` : `${message.kind}_${result.reason}`);
      await audit(
        result.ok ? 'patient.sign_in_link_sent' : 'patient.sign_in_link_not_sent',
        message.patient.id,
        {
          kind: message.kind,
          channel: message.channel,
          ...(result.ok ? {} : { reason: result.reason }),
        },
      );
    })()
      .catch((err: unknown) => deps.logger?.error({ err }, 'sending a sign-in message failed'))
      .finally(() => pending.delete(job));
    pending.add(job);
  }

  async function findAccounts(key: { email?: string; phone?: string }) {
    return db
      .select({
        id: patients.id,
        email: patients.email,
        phone: patients.phone,
        locale: patients.locale,
        givenName: patients.givenName,
        state: patients.state,
      })
      .from(patients)
      .where(
        and(
          key.email ? eq(patients.emailNormalized, key.email) : eq(patients.phone, key.phone!),
          sql`${patients.state} <> 'closed'`,
        ),
      )
      .limit(MAX_CANDIDATES);
  }

  /** Creates a request for this patient and sends it; the caller has checked the account. */
  async function issue(
    patient: SignInMessageRecipient,
    channel: LinkChannel,
    identifier: string,
    origin: { interactionUid?: string | null; clientId?: string | null },
  ) {
    const token = randomBytes(32).toString('base64url');
    const code = generateCode();
    await db.insert(signInTokens).values({
      patientId: patient.id,
      purpose: PURPOSE,
      channel,
      linkHash: channel === 'email' ? linkHash(token) : null,
      codeKey: codeKey(identifier, code),
      interactionUid: origin.interactionUid ?? null,
      clientId: origin.clientId ?? null,
      expiresAt: new Date(now().getTime() + deps.ttlMs),
    });
    send(
      channel === 'email'
        ? {
            kind: 'sign_in_link',
            channel,
            patient,
            link: `${deps.publicUrl}/login/link/${token}`,
            code: formatCode(code),
            expiresMinutes,
          }
        : { kind: 'sign_in_code', channel, patient, code: formatCode(code), expiresMinutes },
    );
  }

  /** Finishes a redemption that won its conditional update. */
  async function signedIn(
    row: { patientId: string; channel: LinkChannel; interactionUid: string | null; clientId: string | null },
    amr: 'magic_link' | 'otp',
  ): Promise<RedeemResult> {
    const { firstSignIn } = await recordSignIn(db, {
      patientId: row.patientId,
      amr,
      at: now(),
      proved: row.channel === 'email' ? 'email' : 'phone',
      detail: { channel: row.channel },
    });
    deps.onOutcome?.(`${amr}_redeemed`);
    return {
      ok: true,
      patientId: row.patientId,
      amr,
      firstSignIn,
      interactionUid: row.interactionUid,
      clientId: row.clientId,
    };
  }

  /**
   * The conditional update: a live, unused token whose patient may still sign in, consumed once.
   * Built once per lookup column and prepared on each connection (every redemption runs it).
   */
  const consumeBy = (column: typeof signInTokens.linkHash | typeof signInTokens.codeKey, name: string) =>
    db
      .update(signInTokens)
      .set({ consumedAt: sql`${sql.placeholder('at')}` })
      .where(
        and(
          eq(column, sql.placeholder('key')),
          eq(signInTokens.purpose, PURPOSE),
          isNull(signInTokens.consumedAt),
          gt(signInTokens.expiresAt, sql.placeholder('at')),
          sql`exists (select 1 from patients p where p.id = ${signInTokens.patientId}
                      and p.state not in ('closed', 'locked'))`,
        ),
      )
      .returning({
        patientId: signInTokens.patientId,
        channel: signInTokens.channel,
        interactionUid: signInTokens.interactionUid,
        clientId: signInTokens.clientId,
      })
      .prepare(name);
  const consumeLink = consumeBy(signInTokens.linkHash, 'sign_in_link_consume');
  const consumeCode = consumeBy(signInTokens.codeKey, 'sign_in_code_consume');

  async function explainLink(hash: string): Promise<LinkCheck> {
    const [row] = await db
      .select({
        patientId: signInTokens.patientId,
        channel: signInTokens.channel,
        expiresAt: signInTokens.expiresAt,
        consumedAt: signInTokens.consumedAt,
        state: patients.state,
      })
      .from(signInTokens)
      .innerJoin(patients, eq(patients.id, signInTokens.patientId))
      .where(and(eq(signInTokens.linkHash, hash), eq(signInTokens.purpose, PURPOSE)));
    if (!row || row.state === 'closed' || row.state === 'locked') return { ok: false, reason: 'invalid' };
    if (row.consumedAt) return { ok: false, reason: 'used', patientId: row.patientId };
    if (row.expiresAt <= now()) return { ok: false, reason: 'expired', patientId: row.patientId };
    return { ok: true, channel: row.channel };
  }

  return {
    /** Link and code lifetime, in minutes (the pages say it). */
    expiresMinutes,

    async request(input: {
      identifier: string;
      channel: LinkChannel;
      address?: string;
      interactionUid?: string | null;
      clientId?: string | null;
    }): Promise<LinkRequestResult> {
      const key = normalizeIdentifier(input.identifier, deps.defaultRegion);
      if (!key) return { ok: false, reason: 'invalid_identifier' };
      const identifier = (key.email ?? key.phone)!;
      const wait =
        (input.address ? await consume(perAddress, input.address) : null) ??
        (await consume(perIdentifier, mac('limit', identifier)));
      if (wait !== null) return { ok: false, reason: 'too_many_requests', retryAfterSeconds: wait };

      const accounts = await findAccounts(key);
      if (accounts.length === 0) {
        await audit('patient.sign_in_link_requested', null, { channel: input.channel, account: 'none' });
        return { ok: true };
      }
      if (accounts.length > 1) {
        // The address is shared: no link can say whose account it opens. Its owner hears how to get help.
        for (const a of accounts)
          await audit('patient.sign_in_ambiguous', a.id, { accounts: accounts.length, via: input.channel });
        send({ kind: 'sign_in_help', channel: input.channel, patient: accounts[0]! });
        return { ok: true };
      }
      const [account] = accounts;
      if (account!.state === 'locked') {
        await audit('patient.sign_in_link_requested', account!.id, {
          channel: input.channel,
          refused: 'locked',
        });
        return { ok: true };
      }
      await audit('patient.sign_in_link_requested', account!.id, { channel: input.channel });
      await issue(account!, input.channel, identifier, input);
      return { ok: true };
    },

    /** Read-only: what a link is (the GET page shows a confirm button or explains). */
    async check(token: string): Promise<LinkCheck> {
      if (!/^[\w-]{43}$/.test(token)) return { ok: false, reason: 'invalid' };
      return explainLink(linkHash(token));
    },

    async redeemLink(token: string): Promise<RedeemResult> {
      if (!/^[\w-]{43}$/.test(token)) return { ok: false, reason: 'invalid' };
      const hash = linkHash(token);
      const [row] = await consumeLink.execute({ key: hash, at: now() });
      if (row) return signedIn(row, 'magic_link');
      const why = await explainLink(hash);
      const reason = why.ok ? 'used' : why.reason; // lost a race to another redemption of the same link
      const patientId = why.ok ? undefined : why.patientId;
      if (patientId) await audit('patient.sign_in_link_refused', patientId, { reason });
      return { ok: false, reason, patientId };
    },

    async redeemCode(input: { identifier: string; code: string; address?: string }): Promise<RedeemResult> {
      const key = normalizeIdentifier(input.identifier, deps.defaultRegion);
      const code = normalizeCode(input.code);
      const identifier = key ? (key.email ?? key.phone)! : input.identifier.trim().toLowerCase();
      const verdict = await deps.guard.admit(identifier, input.address);
      if (!verdict.ok)
        return { ok: false, reason: 'too_many_attempts', retryAfterSeconds: verdict.retryAfterSeconds };
      // Two live requests for one address with the same code (one in a billion) are both spent.
      const [row] =
        key && code ? await consumeCode.execute({ key: codeKey(identifier, code), at: now() }) : [];
      if (!row) {
        await deps.guard.failed(identifier, key ? (await findAccounts(key)).map((a) => a.id) : []);
        await audit('patient.sign_in_code_refused', null, { reason: 'invalid' });
        return { ok: false, reason: 'invalid' };
      }
      if (verdict.failures > 0)
        await deps.guard.succeeded(
          identifier,
          { id: row.patientId, signInLockedUntil: null },
          verdict.failures,
        );
      return signedIn(row, 'otp');
    },

    /** A new link for the patient of a spent or expired one (one click from the page that explains). */
    async resend(patientId: string, address?: string): Promise<LinkRequestResult> {
      const [patient] = await db
        .select({
          id: patients.id,
          email: patients.email,
          emailNormalized: patients.emailNormalized,
          phone: patients.phone,
          locale: patients.locale,
          givenName: patients.givenName,
          state: patients.state,
        })
        .from(patients)
        .where(eq(patients.id, patientId));
      if (!patient || patient.state === 'closed' || patient.state === 'locked') return { ok: true };
      const identifier = patient.emailNormalized ?? patient.phone;
      if (!identifier) return { ok: true };
      const wait =
        (address ? await consume(perAddress, address) : null) ??
        (await consume(perIdentifier, mac('limit', identifier)));
      if (wait !== null) return { ok: false, reason: 'too_many_requests', retryAfterSeconds: wait };
      const channel: LinkChannel = patient.emailNormalized ? 'email' : 'sms';
      await audit('patient.sign_in_link_requested', patient.id, { channel, resend: true });
      await issue(patient, channel, identifier, {});
      return { ok: true };
    },

    /** Waits for deliveries still in flight (shutdown, tests). */
    async settle() {
      await Promise.all([...pending]);
    },
  };
}

export type SignInLinks = ReturnType<typeof createSignInLinks>;
