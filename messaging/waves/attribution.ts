// Attribution: each wave message's link carries its delivery's token. Following it changes nothing
// (email scanners fetch links too); the portal page it lands on reports the visit with a POST from the
// browser, which records "opened the link" once. "Signed in" comes from the patient's own sign-in after
// the message was sent.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import type { DeliveryTokens } from '../delivery-tokens.ts';

export interface WaveLinks {
  /** The delivery behind a link's token and the patient's language (null: not one of ours). */
  landing(token: string): Promise<{ deliveryId: number; locale: 'en' | 'es' } | null>;
  /** Records the first visit through a delivery's link; false when the token is not one of ours. */
  recordOpen(token: string): Promise<boolean>;
}

export function createWaveLinks(db: Db, tokens: DeliveryTokens): WaveLinks {
  return {
    async landing(token) {
      const id = tokens.verify('open', token);
      if (id === null) return null;
      const [row] = await queryRows<{ locale: string | null }>(
        db,
        sql`select locale from wave_deliveries where id = ${id}`,
      );
      if (!row) return null;
      return { deliveryId: id, locale: row.locale === 'es' ? 'es' : 'en' };
    },
    async recordOpen(token) {
      const id = tokens.verify('open', token);
      if (id === null) return false;
      await db.execute(
        sql`update wave_deliveries set opened_at = now(), updated_at = now() where id = ${id} and opened_at is null`,
      );
      return true;
    },
  };
}
