// crypt(3) password hashes, written from their specifications: PHK's MD5-crypt (`$1$`, and Apache's
// `$apr1$`, which differs only in its magic string) and Ulrich Drepper's SHA-crypt (`$5$`, `$6$`,
// https://www.akkadia.org/drepper/SHA-crypt.txt). The npm packages were not used: apache-md5 1.1.8 hashes
// each UTF-16 code unit as one byte (wrong for any non-ASCII password) and ignores the 8-character salt
// limit, and unixcrypt 3.0.4 gets SHA-crypt steps 9 and 16 wrong for passwords whose byte length is a
// non-zero multiple of the digest size (32 bytes for $5$, 64 for $6$), so it disagrees with glibc there.
// Runs on a worker thread (worker.ts): erasable TypeScript and `.ts` imports only.
import { createHash, type Hash } from 'node:crypto';
import { bounds } from '../bounds.ts';

export type CryptScheme = 'md5_crypt' | 'apr1' | 'sha256_crypt' | 'sha512_crypt';

export interface CryptSettings {
  scheme: CryptScheme;
  salt: string;
  /** SHA-crypt rounds (5,000 when the encoding names none); MD5-crypt always runs 1,000. */
  rounds: number;
  /** Whether the encoding spells out `rounds=`: crypt(3) writes it back only then, even for 5,000. */
  explicitRounds: boolean;
  checksum: string;
}

export type CryptParse =
  | { ok: true; settings: CryptSettings }
  | { ok: false; reason: 'malformed_hash' | 'hash_params_out_of_bounds'; detail: string };

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The smallest and default SHA-crypt round counts (Drepper's spec; glibc raises anything lower to 1,000). */
const SHA_ROUNDS_FLOOR = 1_000;
const SHA_ROUNDS_DEFAULT = 5_000;

const MD5_SHAPE = /^\$(1|apr1)\$([./0-9A-Za-z]{0,8})\$([./0-9A-Za-z]*)$/;
const SHA_SHAPE = /^\$([56])\$(?:rounds=([0-9]*)\$)?([./0-9A-Za-z]{0,16})\$([./0-9A-Za-z]*)$/;

const checksumLength: Record<CryptScheme, number> = {
  md5_crypt: 22,
  apr1: 22,
  sha256_crypt: 43,
  sha512_crypt: 86,
};
// The last character of each checksum carries only the digest's leftover bits (2 for MD5 and SHA-512, 4 for
// SHA-256); one with more set was not written by crypt(3) and can never match.
const lastCharLimit: Record<CryptScheme, number> = {
  md5_crypt: 4,
  apr1: 4,
  sha256_crypt: 16,
  sha512_crypt: 4,
};

/** Splits a crypt(3) encoding into its parts and checks them against `bounds`, without hashing anything. */
export function parseCryptEncoding(encoded: string): CryptParse {
  if (typeof encoded !== 'string') return { ok: false, reason: 'malformed_hash', detail: 'not a string' };
  if (encoded.length > bounds.maxEncodedLength) {
    return {
      ok: false,
      reason: 'malformed_hash',
      detail: `longer than ${bounds.maxEncodedLength} characters`,
    };
  }
  let scheme: CryptScheme;
  let salt: string;
  let checksum: string;
  let rounds = 1_000;
  let explicitRounds = false;
  const md5 = MD5_SHAPE.exec(encoded);
  const sha = md5 ? null : SHA_SHAPE.exec(encoded);
  if (md5) {
    scheme = md5[1] === '1' ? 'md5_crypt' : 'apr1';
    salt = md5[2]!;
    checksum = md5[3]!;
  } else if (sha) {
    scheme = sha[1] === '5' ? 'sha256_crypt' : 'sha512_crypt';
    salt = sha[3]!;
    checksum = sha[4]!;
    rounds = SHA_ROUNDS_DEFAULT;
    const digits = sha[2];
    if (digits !== undefined) {
      explicitRounds = true;
      // crypt(3) writes rounds in plain decimal, and never below its floor: glibc raises a lower request to
      // 1,000 and writes `rounds=1000`, libxcrypt refuses it. So a zero-padded count, or one below 1,000, was
      // not written by crypt(3) and is malformed, not clamped (clamping could never reproduce the encoding).
      if (!/^[1-9][0-9]*$/.test(digits)) {
        return {
          ok: false,
          reason: 'malformed_hash',
          detail: `rounds=${digits.slice(0, 12)} is not a plain decimal count`,
        };
      }
      if (digits.length > 10) {
        return {
          ok: false,
          reason: 'hash_params_out_of_bounds',
          detail: `rounds= has ${digits.length} digits, above ${bounds.shaCryptRounds.max}`,
        };
      }
      rounds = Number(digits);
      if (rounds < SHA_ROUNDS_FLOOR) {
        return {
          ok: false,
          reason: 'malformed_hash',
          detail: `rounds=${digits} is below crypt(3)'s floor of 1000`,
        };
      }
    }
    if (rounds < bounds.shaCryptRounds.min || rounds > bounds.shaCryptRounds.max) {
      return {
        ok: false,
        reason: 'hash_params_out_of_bounds',
        detail: `rounds=${rounds} is outside ${bounds.shaCryptRounds.min}–${bounds.shaCryptRounds.max}`,
      };
    }
  } else {
    return {
      ok: false,
      reason: 'malformed_hash',
      detail: 'not $id$[rounds=N$]salt$checksum over ./0-9A-Za-z',
    };
  }
  if (checksum.length !== checksumLength[scheme]) {
    return {
      ok: false,
      reason: 'malformed_hash',
      detail: `checksum is ${checksum.length} characters, not ${checksumLength[scheme]}`,
    };
  }
  if (ITOA64.indexOf(checksum.at(-1)!) >= lastCharLimit[scheme]) {
    return { ok: false, reason: 'malformed_hash', detail: 'checksum has bits set beyond the digest' };
  }
  return { ok: true, settings: { scheme, salt, rounds, explicitRounds, checksum } };
}

/**
 * The encoding crypt(3) would write for `password` with `encoded`'s own salt and rounds, or null when
 * `encoded` is not a well-formed, in-bounds MD5-crypt, apr1 or SHA-crypt encoding. Passwords are UTF-8.
 */
export function cryptRecompute(password: string, encoded: string): string | null {
  const parsed = parseCryptEncoding(encoded);
  if (!parsed.ok || typeof password !== 'string' || password.length > bounds.maxPasswordBytes) return null;
  const key = Buffer.from(password, 'utf8');
  if (key.length > bounds.maxPasswordBytes) return null;
  const { scheme, salt, rounds, explicitRounds } = parsed.settings;
  const saltBytes = Buffer.from(salt, 'ascii');
  switch (scheme) {
    case 'md5_crypt':
      return `$1$${salt}$${md5Crypt(key, saltBytes, '$1$')}`;
    case 'apr1':
      return `$apr1$${salt}$${md5Crypt(key, saltBytes, '$apr1$')}`;
    case 'sha256_crypt':
    case 'sha512_crypt': {
      const id = scheme === 'sha256_crypt' ? '5' : '6';
      const prefix = explicitRounds ? `$${id}$rounds=${rounds}$` : `$${id}$`;
      return `${prefix}${salt}$${shaCrypt(scheme === 'sha256_crypt' ? 'sha256' : 'sha512', key, saltBytes, rounds)}`;
    }
  }
}

/** crypt(3)'s base64: the low 6 bits first, `n` characters from three bytes. */
function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/** Encodes `digest` in the byte order each algorithm defines: triples, then a shorter final group. */
function encodeDigest(
  digest: Buffer,
  groups: readonly (readonly [number, number, number])[],
  last: readonly number[],
): string {
  let out = '';
  for (const [a, b, c] of groups) out += b64From24(digest[a]!, digest[b]!, digest[c]!, 4);
  if (last.length === 1) return out + b64From24(0, 0, digest[last[0]!]!, 2);
  return out + b64From24(0, digest[last[0]!]!, digest[last[1]!]!, 3);
}

function md5(...parts: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

// PHK's md5crypt (FreeBSD crypt-md5.c), which Apache's apr_md5.c repeats with the magic `$apr1$`.
function md5Crypt(key: Buffer, salt: Buffer, magic: '$1$' | '$apr1$'): string {
  const alternate = md5(key, salt, key);
  const ctx = createHash('md5').update(key).update(magic).update(salt);
  for (let left = key.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(left, 16)));
  // For each bit of the length, low bit first: a NUL byte for a one, the key's first byte for a zero.
  const zero = Buffer.alloc(1);
  const first = key.subarray(0, 1);
  for (let i = key.length; i > 0; i >>>= 1) ctx.update(i & 1 ? zero : first);
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update(i & 1 ? key : final);
    if (i % 3) round.update(salt);
    if (i % 7) round.update(key);
    round.update(i & 1 ? final : key);
    final = round.digest();
  }
  return encodeDigest(
    final,
    [
      [0, 6, 12],
      [1, 7, 13],
      [2, 8, 14],
      [3, 9, 15],
      [4, 10, 5],
    ],
    [11],
  );
}

const SHA256_ORDER = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
] as const;

const SHA512_ORDER = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
] as const;

/** `digest` repeated (and cut) to `length` bytes: the spec's P and S sequences. */
function repeatTo(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += digest.length) digest.copy(out, offset);
  return out;
}

// Drepper's SHA-crypt, steps numbered as in the specification.
function shaCrypt(algorithm: 'sha256' | 'sha512', key: Buffer, salt: Buffer, rounds: number): string {
  const size = algorithm === 'sha256' ? 32 : 64;
  const start = (): Hash => createHash(algorithm);
  // Steps 4–8: digest B.
  const b = start().update(key).update(salt).update(key).digest();
  // Steps 1–3, 9–12: digest A.
  const a = start().update(key).update(salt);
  let left = key.length;
  for (; left > size; left -= size) a.update(b);
  a.update(b.subarray(0, left));
  for (let i = key.length; i > 0; i >>>= 1) a.update(i & 1 ? b : key);
  let c = a.digest();
  // Steps 13–16: P, from the key hashed once per key byte.
  const dp = start();
  for (let i = 0; i < key.length; i++) dp.update(key);
  const p = repeatTo(dp.digest(), key.length);
  // Steps 17–20: S, from the salt hashed 16 + A[0] times.
  const ds = start();
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);
  // Step 21: the rounds.
  for (let i = 0; i < rounds; i++) {
    const round = start();
    round.update(i & 1 ? p : c);
    if (i % 3) round.update(s);
    if (i % 7) round.update(p);
    round.update(i & 1 ? c : p);
    c = round.digest();
  }
  // Step 22: the checksum.
  return algorithm === 'sha256'
    ? encodeDigest(c, SHA256_ORDER, [31, 30])
    : encodeDigest(c, SHA512_ORDER, [63]);
}
