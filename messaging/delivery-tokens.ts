// Per-delivery tokens carried by a wave message's links: the link that brings a patient to the portal
// (attribution: "opened the link"), the one-click unsubscribe, and the Message-ID a bounce quotes back.
// A token is the delivery's id and a keyed hash bound to its purpose: nothing is stored, nothing about
// the patient is inside, and a token made for one purpose never works for another.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type DeliveryTokenPurpose = 'open' | 'unsubscribe' | 'message_id';

const MAC_BYTES = 16;

export interface DeliveryTokens {
  issue(purpose: DeliveryTokenPurpose, deliveryId: number): string;
  /** The delivery id, or null when the token is malformed or was not made here for this purpose. */
  verify(purpose: DeliveryTokenPurpose, token: string): number | null;
}

export function createDeliveryTokens(secret: string): DeliveryTokens {
  const mac = (purpose: DeliveryTokenPurpose, id: number) =>
    createHmac('sha256', secret).update(`delivery:${purpose}:${id}`).digest().subarray(0, MAC_BYTES);
  return {
    issue(purpose, deliveryId) {
      return `${deliveryId.toString(36)}.${mac(purpose, deliveryId).toString('base64url')}`;
    },
    verify(purpose, token) {
      const match = /^([0-9a-z]{1,13})\.([\w-]{22})$/.exec(token);
      if (!match) return null;
      const id = parseInt(match[1]!, 36);
      if (!Number.isSafeInteger(id) || id <= 0) return null;
      const given = Buffer.from(match[2]!, 'base64url');
      if (given.length !== MAC_BYTES) return null;
      return timingSafeEqual(given, mac(purpose, id)) ? id : null;
    },
  };
}

/**
 * The Message-ID of a wave email: a bounce or complaint that quotes it finds its delivery even when the
 * worker that sent it died before recording it.
 */
export function waveMessageId(tokens: DeliveryTokens, deliveryId: number, domain: string): string {
  return `<w.${tokens.issue('message_id', deliveryId)}@${domain}>`;
}

/** The delivery id inside a wave Message-ID, when it is one of ours. */
export function deliveryIdFromMessageId(tokens: DeliveryTokens, messageId: string): number | null {
  const match = /^<?w\.([^@>]+)@[^>]+>?$/.exec(messageId.trim());
  return match ? tokens.verify('message_id', match[1]!) : null;
}
