// What every legacy family shares: strict decoding, bounded cost checks, and the never-throw wrapper,
// so each family only states its own shape, its bounds and its digest.
import { pbkdf2, scrypt, type ScryptOptions } from 'node:crypto';
import { bounds } from './bounds.ts';
import type { HashFamily, ParseOutcome } from './types.ts';

export type Failure = Extract<ParseOutcome, { ok: false }>;

/** A validated encoding: what verify needs, and the cost parameters parse reports. */
export type Inspection<T> = { ok: true; value: T; cost: Record<string, number> } | Failure;

export const malformed = (detail: string): Failure => ({ ok: false, reason: 'malformed_hash', detail });
export const outOfBounds = (detail: string): Failure => ({
  ok: false,
  reason: 'hash_params_out_of_bounds',
  detail,
});

/** Sign-in refuses longer passwords outright, so no family ever hashes one. */
export function acceptablePassword(password: unknown): password is string {
  return typeof password === 'string' && Buffer.byteLength(password, 'utf8') <= bounds.maxPasswordBytes;
}

/**
 * A canonical unsigned decimal (no sign, no leading zeros), or null. Numbers too long to be exact come
 * back as Infinity, so every bound check still refuses them instead of wrapping or losing digits.
 */
export function parseDecimal(text: string): number | null {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) return null;
  return text.length > 15 ? Infinity : Number(text);
}

/**
 * Strict base64. Buffer.from(…, 'base64') skips characters it does not know and accepts either
 * alphabet, so a damaged hash would silently decode to other bytes; here anything off-alphabet, a
 * misplaced `=` or an impossible length is refused.
 * - `padded`: standard alphabet, `=` padding required (RFC 2307 LDAP values, Django's digests).
 * - `unpadded`: standard alphabet, no padding (the PHC string format: argon2, scrypt).
 * - `ab64`: passlib's "adapted base64": `.` instead of `+`, no padding.
 */
export function decodeBase64(text: string, style: 'padded' | 'unpadded' | 'ab64'): Buffer | null {
  let body = text;
  if (style === 'padded') {
    if (text.length % 4 !== 0) return null;
    body = text.endsWith('==') ? text.slice(0, -2) : text.endsWith('=') ? text.slice(0, -1) : text;
  } else if (style === 'ab64') {
    if (!/^[A-Za-z0-9./]*$/.test(text)) return null;
    body = text.replaceAll('.', '+');
  }
  if (!/^[A-Za-z0-9+/]*$/.test(body) || body.length % 4 === 1) return null;
  return Buffer.from(body, 'base64');
}

interface FamilySpec<T> {
  name: string;
  /** Cheap: a prefix test, never a scan of the whole (possibly huge) string. */
  matches(encoded: string): boolean;
  /** Full validation and bounds; may return failures but should not throw (a throw is caught anyway). */
  inspect(encoded: string): Inspection<T>;
  /** The expensive step, run only for a well-formed, in-bounds encoding and an acceptable password. */
  check(value: T, password: string): Promise<boolean>;
}

/**
 * Builds a HashFamily whose parse never throws and whose verify never throws, refuses over-long
 * encodings and passwords before any work, and only hashes what parse accepted.
 */
export function defineFamily<T>(spec: FamilySpec<T>): HashFamily {
  const inspect = (encoded: unknown): Inspection<T> => {
    if (typeof encoded !== 'string') return malformed('the encoded hash is not a string');
    if (encoded.length > bounds.maxEncodedLength) {
      return malformed(`longer than ${bounds.maxEncodedLength} characters`);
    }
    try {
      return spec.inspect(encoded);
    } catch {
      return malformed(`not a well-formed ${spec.name} hash`);
    }
  };
  return {
    name: spec.name,
    matches(encoded) {
      try {
        return typeof encoded === 'string' && spec.matches(encoded);
      } catch {
        return false;
      }
    },
    parse(encoded) {
      const inspection = inspect(encoded);
      if (!inspection.ok) return inspection;
      return { ok: true, family: spec.name, cost: inspection.cost };
    },
    async verify(encoded, password) {
      if (!acceptablePassword(password)) return false;
      const inspection = inspect(encoded);
      if (!inspection.ok) return false;
      try {
        return await spec.check(inspection.value, password);
      } catch {
        return false;
      }
    },
  };
}

/** PBKDF2 on the libuv thread pool; the password is encoded as UTF-8, as passlib and Django do. */
export function derivePbkdf2(
  password: string,
  salt: Buffer,
  iterations: number,
  keylen: number,
  digest: 'sha1' | 'sha256' | 'sha512',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keylen, digest, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Validates PBKDF2 iterations against bounds.pbkdf2Iterations. */
export function checkIterations(text: string): Failure | number {
  const iterations = parseDecimal(text);
  if (iterations === null) return malformed('iteration count is not a plain decimal number');
  const { min, max } = bounds.pbkdf2Iterations;
  if (iterations < min || iterations > max) {
    return outOfBounds(`${iterations} PBKDF2 iterations is outside ${min}–${max}`);
  }
  return iterations;
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Bounds scrypt's N (a power of two above 1), r and p, and its memory 128·N·r, before anything is derived. */
export function checkScrypt(params: ScryptParams): Failure | null {
  const { N, r, p } = params;
  if (!Number.isInteger(Math.log2(N)) || N < 2) return malformed('scrypt N must be a power of two above 1');
  if (r < 1 || p < 1) return malformed('scrypt r and p must be at least 1');
  // scrypt itself (RFC 7914) requires r·p < 2^30; past that the encoding is not scrypt at all.
  if (r * p >= 2 ** 30) return malformed('scrypt r·p must be below 2^30');
  if (N > bounds.scrypt.maxN) return outOfBounds(`scrypt N=${N} is over ${bounds.scrypt.maxN}`);
  if (r > bounds.scrypt.maxR) return outOfBounds(`scrypt r=${r} is over ${bounds.scrypt.maxR}`);
  if (p > bounds.scrypt.maxP) return outOfBounds(`scrypt p=${p} is over ${bounds.scrypt.maxP}`);
  const memory = 128 * N * r;
  if (memory > bounds.scrypt.maxMemoryBytes) {
    return outOfBounds(`scrypt would use ${memory} bytes, over ${bounds.scrypt.maxMemoryBytes}`);
  }
  return null;
}

/** scrypt on the libuv thread pool, with maxmem sized to exactly what the (bounded) parameters need. */
export function deriveScrypt(password: string | Buffer, salt: Buffer, keylen: number, params: ScryptParams) {
  const { N, r, p } = params;
  const options: ScryptOptions = {
    N,
    r,
    p,
    // OpenSSL counts V as 128·r·(N + 2) bytes and B as 128·r·p; its default ceiling (32 MiB) would
    // refuse parameters the bounds allow, and a larger blanket ceiling would defeat them.
    maxmem: 128 * r * (N + 2 + p),
  };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
