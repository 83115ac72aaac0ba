// phpass "portable" hashes (`$P$`, and phpBB's `$H$`: WordPress, phpBB and other PHP apps) and Drupal 7's
// SHA-512 variant (`$S$`), written from Openwall's PasswordHash.php and Drupal 7's includes/password.inc:
// hash(salt . password), then hash(previous . password) 2^log2 times; the log2 count is the itoa64 index
// of the character after the prefix. Runs on a worker thread (worker.ts): erasable TypeScript and `.ts`
// imports only.
import { createHash } from 'node:crypto';
import { bounds } from '../bounds.ts';

export type PhpassScheme = 'phpass' | 'drupal7';

export interface PhpassSettings {
  scheme: PhpassScheme;
  /** `$P$`, `$H$` or `$S$`. */
  id: string;
  log2Iterations: number;
  salt: string;
  checksum: string;
}

export type PhpassParse =
  | { ok: true; settings: PhpassSettings }
  | { ok: false; reason: 'malformed_hash' | 'hash_params_out_of_bounds'; detail: string };

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Drupal 7 keeps the first 55 characters of the encoding (DRUPAL_HASH_LENGTH): 43 of SHA-512's 86. */
export const DRUPAL_HASH_LENGTH = 55;
/** Drupal 7's _password_crypt refuses passwords over 512 bytes ("Prevent DoS attacks"), so none can match. */
export const DRUPAL_MAX_PASSWORD_BYTES = 512;

const SHAPE = /^(\$[PHS]\$)([./0-9A-Za-z])([./0-9A-Za-z]{8})([./0-9A-Za-z]*)$/;

/** Splits a phpass or Drupal 7 encoding into its parts and checks them against `bounds`, without hashing. */
export function parsePhpassEncoding(encoded: string): PhpassParse {
  if (typeof encoded !== 'string') return { ok: false, reason: 'malformed_hash', detail: 'not a string' };
  const match = encoded.length <= bounds.maxEncodedLength ? SHAPE.exec(encoded) : null;
  if (!match) {
    return {
      ok: false,
      reason: 'malformed_hash',
      detail: 'not $id$, a count character, 8 salt characters and a checksum over ./0-9A-Za-z',
    };
  }
  const id = match[1]!;
  const scheme: PhpassScheme = id === '$S$' ? 'drupal7' : 'phpass';
  const checksum = match[4]!;
  const expected = scheme === 'drupal7' ? DRUPAL_HASH_LENGTH - 12 : 22;
  if (checksum.length !== expected) {
    return {
      ok: false,
      reason: 'malformed_hash',
      detail: `checksum is ${checksum.length} characters, not ${expected}`,
    };
  }
  // phpass's 22 characters end with the 16th digest byte's top 2 bits; more set can never match. (Drupal's
  // 43rd character is a whole 6 bits of byte 43, so it has no such constraint.)
  if (scheme === 'phpass' && ITOA64.indexOf(checksum.at(-1)!) >= 4) {
    return { ok: false, reason: 'malformed_hash', detail: 'checksum has bits set beyond the digest' };
  }
  const log2Iterations = ITOA64.indexOf(match[2]!);
  if (log2Iterations < bounds.phpassLog2.min || log2Iterations > bounds.phpassLog2.max) {
    return {
      ok: false,
      reason: 'hash_params_out_of_bounds',
      detail: `log2 iteration count ${log2Iterations} is outside ${bounds.phpassLog2.min}–${bounds.phpassLog2.max}`,
    };
  }
  return { ok: true, settings: { scheme, id, log2Iterations, salt: match[3]!, checksum } };
}

/**
 * The encoding phpass (or Drupal 7) would write for `password` with `encoded`'s own salt and iteration
 * count, or null when `encoded` is not a well-formed, in-bounds `$P$`, `$H$` or `$S$` encoding, or Drupal
 * would refuse the password. Passwords are UTF-8.
 */
export function phpassRecompute(password: string, encoded: string): string | null {
  const parsed = parsePhpassEncoding(encoded);
  if (!parsed.ok || typeof password !== 'string' || password.length > bounds.maxPasswordBytes) return null;
  const key = Buffer.from(password, 'utf8');
  const { scheme, id, log2Iterations, salt } = parsed.settings;
  const maxBytes =
    scheme === 'drupal7'
      ? Math.min(DRUPAL_MAX_PASSWORD_BYTES, bounds.maxPasswordBytes)
      : bounds.maxPasswordBytes;
  if (key.length > maxBytes) return null;
  const algorithm = scheme === 'drupal7' ? 'sha512' : 'md5';
  let digest = createHash(algorithm).update(salt, 'ascii').update(key).digest();
  for (let count = 2 ** log2Iterations; count > 0; count--)
    digest = createHash(algorithm).update(digest).update(key).digest();
  const setting = encoded.slice(0, 12);
  const output = setting + encode64(digest);
  return id === '$S$' ? output.slice(0, DRUPAL_HASH_LENGTH) : output;
}

/** phpass's encode64: little-endian 24-bit groups, low 6 bits first, a short final group for the tail. */
function encode64(input: Buffer): string {
  let out = '';
  let i = 0;
  do {
    let value = input[i++]!;
    out += ITOA64[value & 0x3f];
    if (i < input.length) value |= input[i]! << 8;
    out += ITOA64[(value >> 6) & 0x3f];
    if (i++ >= input.length) break;
    if (i < input.length) value |= input[i]! << 16;
    out += ITOA64[(value >> 12) & 0x3f];
    if (i++ >= input.length) break;
    out += ITOA64[(value >> 18) & 0x3f];
  } while (i < input.length);
  return out;
}
