// Field encryption for secrets at rest (TOTP secrets, raw import rows): AES-256-GCM with the data key.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export interface FieldCipher {
  /** Seals a value; `iv` (12 random bytes, never reused) may come from `ivs()` for a batch. */
  encrypt(plain: string, iv?: Buffer): string;
  decrypt(sealed: string): string;
  /** Fresh random IVs for a batch, from one call to the random source. */
  ivs(count: number): Buffer[];
}

export function createFieldCipher(base64urlKey: string): FieldCipher {
  const raw = Buffer.from(base64urlKey, 'base64url');
  if (raw.length !== 32) throw new Error('DATA_ENCRYPTION_KEY must decode to 32 bytes');
  // One key object for every call: importing the raw key per call costs more than the encryption.
  const key = createSecretKey(raw);
  return {
    ivs(count) {
      const pool = randomBytes(12 * count);
      return Array.from({ length: count }, (_, i) => pool.subarray(12 * i, 12 * i + 12));
    },
    encrypt(plain, givenIv) {
      const iv = givenIv ?? randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join(
        '.',
      );
    },
    decrypt(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || !iv || body === undefined || !tag)
        throw new Error('sealed value is malformed');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
