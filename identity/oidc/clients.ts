// Relying parties: registered by `causeway clients add`, their secret shown once and kept sealed.
import { randomBytes } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { oidcClients, oidcPayloads, type OidcClient } from '../../db/schema/index.ts';
import type { FieldCipher } from '../encryption.ts';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An absolute https URL without a fragment (http only on this machine's loopback, for development). */
const clientUrl = (what: string) =>
  z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${what} "${value}" is not a full URL` });
      return;
    }
    if (url.hash)
      ctx.addIssue({ code: 'custom', message: `${what} "${value}" must not contain a #fragment` });
    const local = url.protocol === 'http:' && loopbackHosts.has(url.hostname);
    if (url.protocol !== 'https:' && !local)
      ctx.addIssue({ code: 'custom', message: `${what} "${value}" must use https (http only on localhost)` });
  });

export const newClientSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'a client needs a --name')
    .max(100, 'the name is longer than 100 characters'),
  redirectUris: z.array(clientUrl('redirect URI')).min(1, 'give at least one --redirect-uri'),
  postLogoutRedirectUris: z.array(clientUrl('post-logout redirect URI')).default([]),
  initiateLoginUri: clientUrl('initiate-login URI').optional(),
  type: z.enum(['confidential', 'public'], { message: '--type must be confidential or public' }),
  firstParty: z.boolean().default(false),
});
export type NewClient = z.input<typeof newClientSchema>;

export interface CreatedClient {
  clientId: string;
  /** Shown once; only a sealed copy is kept. */
  clientSecret: string | null;
}

export async function addClient(db: Db, cipher: FieldCipher, input: NewClient): Promise<CreatedClient> {
  const client = newClientSchema.parse(input);
  const clientId = `cw_${randomBytes(12).toString('base64url')}`;
  const clientSecret = client.type === 'confidential' ? randomBytes(32).toString('base64url') : null;
  await db.transaction(async (tx) => {
    await tx.insert(oidcClients).values({
      clientId,
      name: client.name,
      type: client.type,
      firstParty: client.firstParty,
      secretSealed: clientSecret ? cipher.encrypt(clientSecret) : null,
      redirectUris: client.redirectUris,
      postLogoutRedirectUris: client.postLogoutRedirectUris,
      initiateLoginUri: client.initiateLoginUri ?? null,
    });
    await appendAudit(tx, {
      action: 'oidc.client_added',
      actorType: 'system',
      subjectType: 'oidc_client',
      subjectId: clientId,
      data: { name: client.name, type: client.type, firstParty: client.firstParty },
    });
  });
  return { clientId, clientSecret };
}

export async function listClients(db: Db): Promise<Omit<OidcClient, 'secretSealed'>[]> {
  const rows = await db.select().from(oidcClients).orderBy(asc(oidcClients.createdAt));
  return rows.map(({ secretSealed: _secret, ...rest }) => rest);
}

/** Removes a client and everything issued to it (grants, codes, tokens). */
export async function removeClient(db: Db, clientId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const removed = await tx
      .delete(oidcClients)
      .where(eq(oidcClients.clientId, clientId))
      .returning({ id: oidcClients.clientId });
    if (removed.length === 0) return false;
    await tx.delete(oidcPayloads).where(sql`${oidcPayloads.payload}->>'clientId' = ${clientId}`);
    await appendAudit(tx, {
      action: 'oidc.client_removed',
      actorType: 'system',
      subjectType: 'oidc_client',
      subjectId: clientId,
      data: {},
    });
    return true;
  });
}

/** The registration metadata oidc-provider reads for a client. */
export function clientMetadata(row: OidcClient, cipher: FieldCipher) {
  return {
    client_id: row.clientId,
    client_name: row.name,
    ...(row.secretSealed ? { client_secret: cipher.decrypt(row.secretSealed) } : {}),
    token_endpoint_auth_method: row.type === 'confidential' ? 'client_secret_basic' : 'none',
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: row.redirectUris,
    post_logout_redirect_uris: row.postLogoutRedirectUris,
    // Registration metadata allows only https here; the portal's own link (clientLaunch) uses any.
    ...(row.initiateLoginUri?.startsWith('https:') ? { initiate_login_uri: row.initiateLoginUri } : {}),
    first_party: row.firstParty,
  };
}

/** Origins a sign-in form may hand the browser to (the Content-Security-Policy's form-action). */
export async function clientOrigins(db: Db): Promise<string[]> {
  const rows = await db
    .select({ redirect: oidcClients.redirectUris, logout: oidcClients.postLogoutRedirectUris })
    .from(oidcClients);
  const origins = new Set<string>();
  for (const row of rows)
    for (const uri of [...row.redirect, ...row.logout]) origins.add(new URL(uri).origin);
  return [...origins].sort();
}

/**
 * Where a patient signed in on the portal continues: the named client, or else the first first-party
 * client, when it says how (its initiate_login_uri).
 */
export async function clientLaunch(
  db: Db,
  clientId?: string,
): Promise<{ name: string; initiateLoginUri: string } | null> {
  const [row] = await db
    .select({ name: oidcClients.name, uri: oidcClients.initiateLoginUri })
    .from(oidcClients)
    .where(
      clientId
        ? sql`${oidcClients.clientId} = ${clientId} and ${oidcClients.initiateLoginUri} is not null`
        : sql`${oidcClients.firstParty} and ${oidcClients.initiateLoginUri} is not null`,
    )
    .orderBy(asc(oidcClients.createdAt))
    .limit(1);
  return row?.uri ? { name: row.name, initiateLoginUri: row.uri } : null;
}
