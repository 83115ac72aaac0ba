// Django's `algorithm$…` password encodings (django.contrib.auth.hashers). Salts are text and are
// hashed as UTF-8, exactly as Django does. Beyond the families the import brief names, plain
// `bcrypt$` (BCryptPasswordHasher) and `scrypt$` (ScryptPasswordHasher, in Django's default list since
// 4.0) are read too, so a Django export carrying them is not reported as unknown.
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../compare.ts';
import type { HashFamily } from '../types.ts';
import { inspectArgon2, verifyArgon2, type Argon2Hash } from './argon2.ts';
import { inspectBcrypt, verifyBcrypt, type BcryptHash } from './bcrypt.ts';
import {
  checkIterations,
  checkScrypt,
  decodeBase64,
  defineFamily,
  derivePbkdf2,
  deriveScrypt,
  malformed,
  parseDecimal,
  type Inspection,
  type ScryptParams,
} from '../family-kit.ts';

// --- pbkdf2_sha256 / pbkdf2_sha1: <algorithm>$<iterations>$<salt>$<base64 digest> --------------------

interface Pbkdf2Hash {
  iterations: number;
  salt: string;
  digest: Buffer;
}

function djangoPbkdf2(name: string, algorithm: string, digestName: 'sha1' | 'sha256', size: number) {
  const prefix = `${algorithm}$`;
  return defineFamily<Pbkdf2Hash>({
    name,
    matches: (encoded) => encoded.startsWith(prefix),
    inspect(encoded) {
      const fields = encoded.slice(prefix.length).split('$');
      if (fields.length !== 3) return malformed(`expected ${prefix}iterations$salt$hash`);
      const [iterationsText = '', salt = '', digestText = ''] = fields;
      const iterations = checkIterations(iterationsText);
      if (typeof iterations !== 'number') return iterations;
      const digest = decodeBase64(digestText, 'padded');
      if (!digest) return malformed('hash is not padded base64');
      if (digest.length !== size) return malformed(`hash is ${digest.length} bytes, not ${size}`);
      return { ok: true, value: { iterations, salt, digest }, cost: { iterations } };
    },
    async check({ iterations, salt, digest }, password) {
      const derived = await derivePbkdf2(password, Buffer.from(salt, 'utf8'), iterations, size, digestName);
      return constantTimeEqual(derived, digest);
    },
  });
}

// --- bcrypt_sha256$<bcrypt> and bcrypt$<bcrypt> --------------------------------------------------------

function djangoBcrypt(name: string, algorithm: string, prehash: (password: string) => string) {
  const prefix = `${algorithm}$`;
  return defineFamily<BcryptHash>({
    name,
    matches: (encoded) => encoded.startsWith(prefix),
    // The bcrypt string keeps its own leading `$`, hence Django's `bcrypt_sha256$$2b$…`.
    inspect: (encoded) => inspectBcrypt(encoded.slice(prefix.length)),
    check: (hash, password) => verifyBcrypt(hash, prehash(password)),
  });
}

// Django hashes the password with SHA-256 first and bcrypts the 64 lowercase hex characters, so long
// passwords are not cut at bcrypt's 72 bytes.
const sha256Hex = (password: string) => createHash('sha256').update(password, 'utf8').digest('hex');

// --- argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash ------------------------------------------------------------

const djangoArgon2 = defineFamily<Argon2Hash>({
  name: 'django_argon2',
  matches: (encoded) => encoded.startsWith('argon2$'),
  // Django prepends `argon2` to argon2-cffi's string, whose own `$` then separates the two.
  inspect: (encoded) => inspectArgon2(encoded.slice('argon2'.length)),
  check: verifyArgon2,
});

// --- scrypt$<N>$<salt>$<r>$<p>$<base64 64-byte digest> ------------------------------------------------------

interface ScryptHash extends ScryptParams {
  salt: string;
  digest: Buffer;
}

const djangoScrypt = defineFamily<ScryptHash>({
  name: 'django_scrypt',
  matches: (encoded) => encoded.startsWith('scrypt$'),
  inspect(encoded): Inspection<ScryptHash> {
    const fields = encoded.split('$');
    if (fields.length !== 6) return malformed('expected scrypt$N$salt$r$p$hash');
    const [, nText = '', salt = '', rText = '', pText = '', digestText = ''] = fields;
    const N = parseDecimal(nText);
    const r = parseDecimal(rText);
    const p = parseDecimal(pText);
    if (N === null || r === null || p === null) return malformed('N, r and p must be plain decimal numbers');
    const failure = checkScrypt({ N, r, p });
    if (failure) return failure;
    const digest = decodeBase64(digestText, 'padded');
    if (!digest) return malformed('hash is not padded base64');
    // Django always derives 64 bytes.
    if (digest.length !== 64) return malformed(`hash is ${digest.length} bytes, not 64`);
    return { ok: true, value: { N, r, p, salt, digest }, cost: { N, r, p } };
  },
  async check({ salt, digest, ...params }, password) {
    const derived = await deriveScrypt(password, Buffer.from(salt, 'utf8'), 64, params);
    return constantTimeEqual(derived, digest);
  },
});

// --- sha1$<salt>$<hex> and md5$<salt>$<hex>; an empty salt is Django's unsalted form ------------------

interface SaltedDigest {
  salt: string;
  digest: Buffer;
}

function djangoSaltedDigest(name: string, algorithm: 'sha1' | 'md5', hexLength: number) {
  const prefix = `${algorithm}$`;
  const hex = new RegExp(`^[0-9a-f]{${hexLength}}$`);
  return defineFamily<SaltedDigest>({
    name,
    matches: (encoded) => encoded.startsWith(prefix),
    inspect(encoded) {
      const fields = encoded.slice(prefix.length).split('$');
      if (fields.length !== 2) return malformed(`expected ${prefix}salt$hex`);
      const [salt = '', digestText = ''] = fields;
      // Django writes lowercase hex and compares strings, so it would refuse uppercase too.
      if (!hex.test(digestText)) return malformed(`hash is not ${hexLength} lowercase hex digits`);
      return { ok: true, value: { salt, digest: Buffer.from(digestText, 'hex') }, cost: {} };
    },
    // One fast digest: cheap enough for the event loop (types.ts allows a single small digest).
    async check({ salt, digest }, password) {
      const computed = createHash(algorithm)
        .update(salt + password, 'utf8')
        .digest();
      return constantTimeEqual(computed, digest);
    },
  });
}

export const djangoFamilies: HashFamily[] = [
  djangoPbkdf2('django_pbkdf2_sha256', 'pbkdf2_sha256', 'sha256', 32),
  djangoPbkdf2('django_pbkdf2_sha1', 'pbkdf2_sha1', 'sha1', 20),
  djangoBcrypt('django_bcrypt_sha256', 'bcrypt_sha256', sha256Hex),
  djangoBcrypt('django_bcrypt', 'bcrypt', (password) => password),
  djangoArgon2,
  djangoScrypt,
  djangoSaltedDigest('django_sha1', 'sha1', 40),
  djangoSaltedDigest('django_md5', 'md5', 32),
];
