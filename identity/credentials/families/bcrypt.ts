// bcrypt modular-crypt hashes: $2b$ (OpenBSD), $2y$ (PHP / crypt_blowfish), $2a$ (the common older
// ident). All three are verified as $2b$, which is what the native `bcrypt` package computes:
// - $2y$ is crypt_blowfish's name for exactly the $2b$ algorithm.
// - $2a$ differs from $2b$ only for passwords of 256+ bytes, where OpenBSD's old code wrapped the
//   length; the implementations that produced most exported $2a$ hashes (PHP, py-bcrypt, jBCrypt) never
//   did, and passlib's vectors confirm they agree with $2b$ there.
// - $2x$ (crypt_blowfish's deliberately reproduced 8-bit sign-extension bug) and $2$ (pre-1997
//   bcrypt) are refused as malformed: no native implementation computes them, and a guess would verify
//   wrong passwords or reject right ones.
// bcrypt reads only the first 72 bytes of the password; that is the algorithm, and it is kept.
import bcrypt from 'bcrypt';
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import type { HashFamily } from '../types.ts';
import { defineFamily, malformed, outOfBounds, type Inspection } from '../family-kit.ts';

export interface BcryptHash {
  cost: number;
  /** The 22-character salt, in bcrypt's own base64 alphabet. */
  salt: string;
  /** The 23-byte digest, decoded. */
  digest: Buffer;
}

const SHAPE = /^\$(2[abxy]?)\$([0-9]{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

// bcrypt's base64 puts `./` first; mapping each character to the standard alphabet's character of the
// same value lets Buffer decode it (and ignore the unused low bits of the last character, as bcrypt does).
const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const STANDARD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeBcryptBase64(text: string): Buffer {
  let standard = '';
  for (const character of text) standard += STANDARD_ALPHABET[BCRYPT_ALPHABET.indexOf(character)] ?? '';
  return Buffer.from(standard, 'base64');
}

/** Validates a bcrypt string (also used for the hash inside Django's bcrypt and bcrypt_sha256). */
export function inspectBcrypt(encoded: string): Inspection<BcryptHash> {
  const match = SHAPE.exec(encoded);
  if (!match) return malformed('not a 60-character $2a$/$2b$/$2y$ bcrypt hash');
  const [, ident, costText = '', salt = '', checksum = ''] = match;
  if (ident === '2x') return malformed('$2x$ (crypt_blowfish 8-bit bug compatibility) cannot be verified');
  if (ident === '2') return malformed('$2$ (original bcrypt) cannot be verified');
  const cost = Number(costText);
  if (cost < 4 || cost > 31) return malformed(`bcrypt cost ${costText} is not 04–31`);
  const { min, max } = bounds.bcryptCost;
  if (cost < min || cost > max) return outOfBounds(`bcrypt cost ${cost} is outside ${min}–${max}`);
  return { ok: true, value: { cost, salt, digest: decodeBcryptBase64(checksum) }, cost: { cost } };
}

/**
 * Recomputes with the stored salt and compares the digests ourselves, in constant time. Comparing
 * decoded digests (not strings) also accepts hashes whose unused trailing bits were set by a sloppy
 * encoder, as passlib does.
 */
export async function verifyBcrypt(hash: BcryptHash, secret: string): Promise<boolean> {
  const setting = `$2b$${String(hash.cost).padStart(2, '0')}$${hash.salt}`;
  const computed = await bcrypt.hash(secret, setting);
  if (typeof computed !== 'string' || computed.length !== 60) return false;
  return constantTimeEqual(decodeBcryptBase64(computed.slice(29)), hash.digest);
}

export const bcryptFamilies: HashFamily[] = [
  defineFamily<BcryptHash>({
    name: 'bcrypt',
    // $2x$ and $2$ are claimed too, so the import reports them as unsupported bcrypt, not as unknown.
    matches: (encoded) => /^\$2[abxy]?\$/.test(encoded),
    inspect: inspectBcrypt,
    check: verifyBcrypt,
  }),
];
