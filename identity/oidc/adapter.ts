// oidc-provider's storage on our database: one table for every artifact, and the clients table for
// `Client` lookups. `consume` is a conditional update, so two requests redeeming one authorization
// code or refresh token cannot both win.
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Db } from '../../db/client.ts';
import { oidcClients, oidcPayloads } from '../../db/schema/index.ts';
import type { FieldCipher } from '../encryption.ts';
import { clientMetadata } from './clients.ts';

export function createAdapterFactory(db: Db, cipher: FieldCipher) {
  return (model: string): Adapter =>
    model === 'Client' ? clientAdapter(db, cipher) : payloadAdapter(db, model);
}

function payloadAdapter(db: Db, model: string): Adapter {
  const byId = (id: string) => and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, id));
  const read = (row: { payload: unknown; consumedAt: Date | null } | undefined) => {
    if (!row) return undefined;
    const payload = row.payload as AdapterPayload;
    return row.consumedAt ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : payload;
  };
  const columns = { payload: oidcPayloads.payload, consumedAt: oidcPayloads.consumedAt };
  const placeholder = sql.placeholder;
  // Every sign-in runs these several times: built once, and prepared on each connection by name.
  const findById = db
    .select(columns)
    .from(oidcPayloads)
    .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, placeholder('id'))))
    .limit(1)
    .prepare(`oidc_find_${model}`);
  const upsertById = db
    .insert(oidcPayloads)
    .values({
      model,
      id: placeholder('id'),
      payload: placeholder('payload'),
      grantId: placeholder('grantId'),
      userCode: placeholder('userCode'),
      uid: placeholder('uid'),
      expiresAt: placeholder('expiresAt'),
    })
    .onConflictDoUpdate({
      target: [oidcPayloads.model, oidcPayloads.id],
      set: {
        payload: sql`excluded.payload`,
        grantId: sql`excluded.grant_id`,
        userCode: sql`excluded.user_code`,
        uid: sql`excluded.uid`,
        expiresAt: sql`excluded.expires_at`,
      },
    })
    .prepare(`oidc_upsert_${model}`);
  const destroyById = db
    .delete(oidcPayloads)
    .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.id, placeholder('id'))))
    .prepare(`oidc_destroy_${model}`);

  return {
    async upsert(id, payload, expiresIn) {
      await upsertById.execute({
        id,
        payload,
        // A grant is its own grant id, so revoking a grant removes it along with its tokens.
        grantId: payload.grantId ?? (model === 'Grant' ? id : null),
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      });
    },
    async find(id) {
      const [row] = await findById.execute({ id });
      return read(row);
    },
    async findByUid(uid) {
      const [row] = await db
        .select(columns)
        .from(oidcPayloads)
        .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.uid, uid)))
        .limit(1);
      return read(row);
    },
    async findByUserCode(userCode) {
      const [row] = await db
        .select(columns)
        .from(oidcPayloads)
        .where(and(eq(oidcPayloads.model, model), eq(oidcPayloads.userCode, userCode)))
        .limit(1);
      return read(row);
    },
    async consume(id) {
      const won = await db
        .update(oidcPayloads)
        .set({ consumedAt: sql`now()` })
        .where(and(byId(id), isNull(oidcPayloads.consumedAt)))
        .returning({ id: oidcPayloads.id });
      // Another request redeemed it between the provider's read and this write: this one loses.
      if (won.length === 0) throw new errors.InvalidGrant(`${model} was already redeemed`);
    },
    async destroy(id) {
      await destroyById.execute({ id });
    },
    async revokeByGrantId(grantId) {
      await db.delete(oidcPayloads).where(eq(oidcPayloads.grantId, grantId));
    },
  };
}

/** How long a client's registration is reused before it is read again (a removal takes this long). */
const CLIENT_CACHE_MS = 5_000;

function clientAdapter(db: Db, cipher: FieldCipher): Adapter {
  const readOnly = async () => {
    throw new Error('clients are managed with `causeway clients`, not through the provider');
  };
  // Every provider request looks its client up: a few seconds of memory saves a query and a decryption.
  const cache = new Map<string, { at: number; value: Promise<AdapterPayload | undefined> }>();
  return {
    find(id) {
      const hit = cache.get(id);
      if (hit && Date.now() - hit.at < CLIENT_CACHE_MS) return hit.value;
      const value = db
        .select()
        .from(oidcClients)
        .where(eq(oidcClients.clientId, id))
        .limit(1)
        .then(([row]) => (row ? (clientMetadata(row, cipher) as unknown as AdapterPayload) : undefined));
      if (cache.size > 1_000) cache.clear();
      cache.set(id, { at: Date.now(), value });
      value.catch(() => cache.delete(id));
      return value;
    },
    upsert: readOnly,
    findByUid: readOnly,
    findByUserCode: readOnly,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  };
}
