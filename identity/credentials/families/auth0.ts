// Auth0 bulk-import `custom_password_hash` objects ("Bulk User Import Database Schema and Examples"):
// the encoded string is the object's JSON, e.g.
//   {"algorithm":"sha256","hash":{"value":"d24e…","encoding":"hex"},"salt":{"value":"abc123","position":"prefix"}}
// Auth0 documents md4, md5, sha1, sha256, sha512, hmac, pbkdf2 (PHC string), bcrypt, argon2 (PHC string),
// ldap (RFC 2307 `{SCHEME}base64`) and scrypt (raw hash plus salt, keylen, cost, blockSize, parallelization).
//
// bcrypt, argon2 and LDAP are checked here rather than through their own families: Auth0 lets an export
// re-encode the password (`password.encoding`) and salt a bcrypt input, which a string-password
// HashFamily.verify cannot express, and Auth0's LDAP accepts {SHA384}/{SSHA384} besides the six schemes.
import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcrypt';
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import { deriveScrypt } from '../family-kit.ts';
import type { HashFamily, ParseOutcome } from '../types.ts';

const NAME = 'auth0_custom';

const pbkdf2Async = promisify(pbkdf2);

const ALGORITHMS = new Set([
  'argon2',
  'bcrypt',
  'hmac',
  'ldap',
  'md4',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'pbkdf2',
  'scrypt',
]);

/** Digests Auth0 names, by node:crypto name, with their output length in bytes. */
const DIGEST_BYTES: Record<string, number> = {
  md4: 16,
  md5: 16,
  mdc2: 16,
  ripemd160: 20,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
  whirlpool: 64,
};

/** The `pbkdf2-<digest>` names Auth0 lists (OpenSSL aliases), lower-cased, to their node:crypto name. */
const PBKDF2_DIGESTS: Record<string, string> = {
  'rsa-md4': 'md4',
  md4: 'md4',
  md4withrsaencryption: 'md4',
  'rsa-md5': 'md5',
  md5: 'md5',
  md5withrsaencryption: 'md5',
  'ssl3-md5': 'md5',
  'rsa-mdc2': 'mdc2',
  mdc2: 'mdc2',
  mdc2withrsa: 'mdc2',
  'rsa-ripemd160': 'ripemd160',
  ripemd: 'ripemd160',
  ripemd160: 'ripemd160',
  ripemd160withrsa: 'ripemd160',
  rmd160: 'ripemd160',
  'rsa-sha1': 'sha1',
  'rsa-sha1-2': 'sha1',
  sha1: 'sha1',
  sha1withrsaencryption: 'sha1',
  'ssl3-sha1': 'sha1',
  'rsa-sha224': 'sha224',
  sha224: 'sha224',
  sha224withrsaencryption: 'sha224',
  'rsa-sha256': 'sha256',
  sha256: 'sha256',
  sha256withrsaencryption: 'sha256',
  'rsa-sha384': 'sha384',
  sha384: 'sha384',
  sha384withrsaencryption: 'sha384',
  'rsa-sha512': 'sha512',
  sha512: 'sha512',
  sha512withrsaencryption: 'sha512',
  whirlpool: 'whirlpool',
};

/** RFC 2307 schemes Auth0 accepts (`md5|smd5|sha*|ssha*`), lower-cased, to digest and salting. */
const LDAP_SCHEMES: Record<string, { digest: string; salted: boolean }> = {
  md5: { digest: 'md5', salted: false },
  smd5: { digest: 'md5', salted: true },
  sha: { digest: 'sha1', salted: false },
  ssha: { digest: 'sha1', salted: true },
  sha256: { digest: 'sha256', salted: false },
  ssha256: { digest: 'sha256', salted: true },
  sha384: { digest: 'sha384', salted: false },
  ssha384: { digest: 'sha384', salted: true },
  sha512: { digest: 'sha512', salted: false },
  ssha512: { digest: 'sha512', salted: true },
};

/** A table lookup that ignores Object.prototype, so a name like "constructor" finds nothing. */
const own = <T>(table: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

const PASSWORD_ENCODINGS = new Set(['ascii', 'utf8', 'utf16le', 'ucs2', 'latin1', 'binary']);

const availability = new Map<string, boolean>();

/** OpenSSL 3 keeps MD4, MDC2 and Whirlpool in its legacy provider, which Node does not load by default. */
function digestAvailable(digest: string): boolean {
  let available = availability.get(digest);
  if (available === undefined) {
    try {
      createHash(digest);
      available = true;
    } catch {
      available = false;
    }
    availability.set(digest, available);
  }
  return available;
}

type Failure = Extract<ParseOutcome, { ok: false }>;

// Erasable TypeScript only (no parameter properties), so Node can load this file without a compiler.
class Refusal extends Error {
  readonly outcome: Failure;
  constructor(outcome: Failure) {
    super(outcome.detail);
    this.outcome = outcome;
  }
}

const malformed = (detail: string) => new Refusal({ ok: false, reason: 'malformed_hash', detail });
const outOfBounds = (detail: string) =>
  new Refusal({ ok: false, reason: 'hash_params_out_of_bounds', detail });
const unknown = (detail: string) => new Refusal({ ok: false, reason: 'unknown_hash_format', detail });

/** A field name for a detail message: quoted, short, never a value. */
const label = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

type Salt = { bytes: Buffer; position: 'prefix' | 'suffix' };

/** What verify will compute, worked out and bounded from the JSON before anything is hashed. */
type Method = { cost: Record<string, number> } & (
  | { kind: 'digest'; digest: string; salt: Salt | null; expected: Buffer }
  | { kind: 'hmac'; digest: string; key: Buffer; salt: Salt | null; expected: Buffer }
  | { kind: 'pbkdf2'; digest: string; iterations: number; salt: Buffer; expected: Buffer }
  | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; expected: Buffer }
  | { kind: 'bcrypt'; encoded: string; salt: Salt | null }
  | { kind: 'argon2'; encoded: string }
  | { kind: 'ldap'; digest: string; salt: Buffer; expected: Buffer }
);

type Plan = Method & { passwordEncoding: BufferEncoding };

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(encoded: string): JsonObject | null {
  if (encoded.length > bounds.maxEncodedLength || !encoded.trimStart().startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(encoded);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function onlyKeys(object: JsonObject, where: string, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) throw malformed(`unknown field ${label(key)} in ${where}`);
  }
}

function optionalString(object: JsonObject, key: string, where: string): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw malformed(`${where}.${key} is not a string`);
  return value;
}

/** Auth0's base64 is standard or URL-safe, padding optional; anything else is refused, not skipped. */
function decodeBase64(text: string): Buffer | null {
  const match = /^([A-Za-z0-9+/_-]*)(={0,2})$/.exec(text);
  if (!match) return null;
  const body = match[1] ?? '';
  const padding = match[2] ?? '';
  if (body.length % 4 === 1 || (padding && (body.length + padding.length) % 4 !== 0)) return null;
  return Buffer.from(body, 'base64');
}

/** PHC's B64: the standard alphabet without padding (tolerated if present). */
function decodePhcB64(text: string): Buffer | null {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? decodeBase64(text) : null;
}

function decodeText(text: string, encoding: string, where: string): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (encoding === 'hex') {
    if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw malformed(`${where} is not valid hex`);
    return Buffer.from(text, 'hex');
  }
  if (encoding === 'base64') {
    const bytes = decodeBase64(text);
    if (!bytes) throw malformed(`${where} is not valid base64`);
    return bytes;
  }
  throw malformed(`${where} encoding must be base64, hex or utf8`);
}

function readSalt(spec: JsonObject): Salt | null {
  const salt = spec.salt;
  if (salt === undefined) return null;
  if (!isObject(salt)) throw malformed('salt is not an object');
  onlyKeys(salt, 'salt', ['value', 'encoding', 'position']);
  const value = optionalString(salt, 'value', 'salt');
  if (value === undefined) throw malformed('salt.value is missing');
  const encoding = optionalString(salt, 'encoding', 'salt') ?? 'utf8';
  const position = optionalString(salt, 'position', 'salt') ?? 'prefix';
  if (position !== 'prefix' && position !== 'suffix') {
    throw malformed('salt.position must be prefix or suffix');
  }
  return { bytes: decodeText(value, encoding, 'salt.value'), position };
}

function requireDigest(digest: string, what: string): void {
  if (!digestAvailable(digest)) {
    throw unknown(
      `${what}: ${digest} is unavailable in this Node/OpenSSL build (OpenSSL 3 keeps it in the legacy provider)`,
    );
  }
}

function integerField(spec: JsonObject, key: string, fallback: number | undefined): number {
  const value = spec[key] ?? fallback;
  if (value === undefined) throw malformed(`${key} is required for scrypt`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw malformed(`${key} is not an integer`);
  return value;
}

function planDigest(algorithm: string, hash: JsonObject, spec: JsonObject): Method {
  requireDigest(algorithm, `algorithm ${algorithm}`);
  const encoding = optionalString(hash, 'encoding', 'hash');
  if (encoding !== 'hex' && encoding !== 'base64') {
    throw malformed(`hash.encoding must be hex or base64 for ${algorithm}`);
  }
  const expected = decodeText(optionalString(hash, 'value', 'hash') ?? '', encoding, 'hash.value');
  const bytes = own(DIGEST_BYTES, algorithm);
  if (expected.length !== bytes) {
    throw malformed(`hash.value is ${expected.length} bytes; ${algorithm} gives ${bytes}`);
  }
  return { kind: 'digest', digest: algorithm, salt: readSalt(spec), expected, cost: {} };
}

function planHmac(hash: JsonObject, spec: JsonObject): Method {
  const digest = optionalString(hash, 'digest', 'hash');
  if (digest === undefined) throw malformed('hash.digest is required for hmac');
  const bytes = own(DIGEST_BYTES, digest);
  if (bytes === undefined) throw unknown(`hash.digest ${label(digest)} is not one Auth0 documents for hmac`);
  requireDigest(digest, 'hmac digest');
  const encoding = optionalString(hash, 'encoding', 'hash');
  if (encoding !== 'hex' && encoding !== 'base64') {
    throw malformed('hash.encoding must be hex or base64 for hmac');
  }
  const expected = decodeText(optionalString(hash, 'value', 'hash') ?? '', encoding, 'hash.value');
  if (expected.length !== bytes) {
    throw malformed(`hash.value is ${expected.length} bytes; hmac-${digest} gives ${bytes}`);
  }
  const key = hash.key;
  if (!isObject(key)) throw malformed('hash.key is required for hmac');
  onlyKeys(key, 'hash.key', ['value', 'encoding']);
  const keyValue = optionalString(key, 'value', 'hash.key');
  if (keyValue === undefined) throw malformed('hash.key.value is required for hmac');
  const keyBytes = decodeText(
    keyValue,
    optionalString(key, 'encoding', 'hash.key') ?? 'utf8',
    'hash.key.value',
  );
  return { kind: 'hmac', digest, key: keyBytes, salt: readSalt(spec), expected, cost: {} };
}

function requireUtf8(hash: JsonObject, algorithm: string): string {
  const encoding = optionalString(hash, 'encoding', 'hash');
  if (encoding !== undefined && encoding !== 'utf8') {
    throw malformed(`hash.encoding must be utf8 for ${algorithm}`);
  }
  const value = optionalString(hash, 'value', 'hash');
  if (value === undefined || value === '') throw malformed('hash.value is missing');
  return value;
}

function refuseSalt(spec: JsonObject, algorithm: string): void {
  if (spec.salt !== undefined) {
    throw malformed(`salt is not allowed for ${algorithm}; it belongs in hash.value`);
  }
}

function planPbkdf2(hash: JsonObject, spec: JsonObject): Method {
  refuseSalt(spec, 'pbkdf2');
  const value = requireUtf8(hash, 'pbkdf2');
  const phc =
    /^\$pbkdf2-([A-Za-z0-9-]{1,32})(?:\$([a-z]=[0-9]{1,10}(?:,[a-z]=[0-9]{1,10})*))?\$([^$]+)\$([^$]+)$/.exec(
      value,
    );
  if (!phc) throw malformed('hash.value is not a $pbkdf2-<digest>$i=…,l=…$salt$hash PHC string');
  const [, id = '', paramText, saltText = '', hashText = ''] = phc;
  const digest = own(PBKDF2_DIGESTS, id.toLowerCase());
  if (!digest) throw unknown(`pbkdf2 digest ${label(id)} is not one Auth0 documents`);
  requireDigest(digest, `pbkdf2-${id}`);
  // Auth0's defaults when the PHC string omits them.
  const params: Record<string, number> = { i: 100_000, l: 64 };
  const seen = new Set<string>();
  for (const pair of paramText ? paramText.split(',') : []) {
    const [name = '', digits = ''] = pair.split('=');
    if ((name !== 'i' && name !== 'l') || seen.has(name)) {
      throw malformed(`unexpected pbkdf2 parameter ${label(name)}`);
    }
    seen.add(name);
    params[name] = Number(digits);
  }
  const iterations = params.i ?? 0;
  const keylen = params.l ?? 0;
  const salt = decodePhcB64(saltText);
  const expected = decodePhcB64(hashText);
  if (!salt || !expected) throw malformed('pbkdf2 salt or hash is not valid B64');
  if (keylen < 1 || expected.length !== keylen) {
    throw malformed(`pbkdf2 hash is ${expected.length} bytes but l=${keylen}`);
  }
  if (iterations < bounds.pbkdf2Iterations.min || iterations > bounds.pbkdf2Iterations.max) {
    throw outOfBounds(
      `${iterations} PBKDF2 iterations is outside ${bounds.pbkdf2Iterations.min}–${bounds.pbkdf2Iterations.max}`,
    );
  }
  // PBKDF2 repeats every iteration for each output block, so a long key multiplies the work.
  const work = iterations * Math.ceil(keylen / (own(DIGEST_BYTES, digest) ?? 1));
  if (work > bounds.pbkdf2Iterations.max) {
    throw outOfBounds(
      `l=${keylen} at i=${iterations} costs ${work} PBKDF2 rounds, over ${bounds.pbkdf2Iterations.max}`,
    );
  }
  return { kind: 'pbkdf2', digest, iterations, salt, expected, cost: { iterations, keyLength: keylen } };
}

function planScrypt(hash: JsonObject, spec: JsonObject): Method {
  const encoding = optionalString(hash, 'encoding', 'hash');
  if (encoding !== 'hex' && encoding !== 'base64') {
    throw malformed('hash.encoding must be hex or base64 for scrypt');
  }
  const expected = decodeText(optionalString(hash, 'value', 'hash') ?? '', encoding, 'hash.value');
  const keylen = integerField(spec, 'keylen', undefined);
  // Auth0's documented defaults.
  const N = integerField(spec, 'cost', 16_384);
  const r = integerField(spec, 'blockSize', 8);
  const p = integerField(spec, 'parallelization', 1);
  if (keylen < 1 || expected.length !== keylen) {
    throw malformed(`scrypt hash is ${expected.length} bytes but keylen is ${keylen}`);
  }
  if (N < 2 || (N & (N - 1)) !== 0) throw malformed(`scrypt cost ${N} is not a power of two above 1`);
  if (r < 1 || p < 1) throw malformed('scrypt blockSize and parallelization must be positive');
  if (N > bounds.scrypt.maxN) throw outOfBounds(`scrypt cost ${N} is over ${bounds.scrypt.maxN}`);
  if (r > bounds.scrypt.maxR) throw outOfBounds(`scrypt blockSize ${r} is over ${bounds.scrypt.maxR}`);
  if (p > bounds.scrypt.maxP) throw outOfBounds(`scrypt parallelization ${p} is over ${bounds.scrypt.maxP}`);
  if (128 * N * r > bounds.scrypt.maxMemoryBytes) {
    throw outOfBounds(`scrypt would use ${128 * N * r} bytes, over ${bounds.scrypt.maxMemoryBytes}`);
  }
  const salt = readSalt(spec);
  return {
    kind: 'scrypt',
    N,
    r,
    p,
    salt: salt?.bytes ?? Buffer.alloc(0),
    expected,
    cost: { N, r, p, keylen },
  };
}

function planBcrypt(hash: JsonObject, spec: JsonObject): Method {
  const value = requireUtf8(hash, 'bcrypt');
  const match = /^\$(2[aby])\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(value);
  if (!match) throw malformed('hash.value is not a $2a$/$2b$/$2y$ bcrypt string');
  const cost = Number(match[2]);
  if (cost < bounds.bcryptCost.min || cost > bounds.bcryptCost.max) {
    throw outOfBounds(`bcrypt cost ${cost} is outside ${bounds.bcryptCost.min}–${bounds.bcryptCost.max}`);
  }
  // $2y$ (PHP) is the same algorithm as $2b$, but the bcrypt package only answers for $2a$/$2b$.
  const encoded = match[1] === '2y' ? `$2b$${value.slice(4)}` : value;
  return { kind: 'bcrypt', encoded, salt: readSalt(spec), cost: { cost } };
}

function planArgon2(hash: JsonObject, spec: JsonObject): Method {
  refuseSalt(spec, 'argon2');
  const value = requireUtf8(hash, 'argon2');
  const phc =
    /^\$argon2(?:id|i|d)\$(?:v=(\d{1,3})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([^$]+)\$([^$]+)$/.exec(
      value,
    );
  if (!phc) throw malformed('hash.value is not an $argon2…$v=…$m=…,t=…,p=…$salt$hash PHC string');
  const [, version, m = '', t = '', p = '', saltText = '', hashText = ''] = phc;
  if (version !== undefined && version !== '16' && version !== '19') {
    throw malformed(`argon2 version ${version} is unknown`);
  }
  const memoryKiB = Number(m);
  const time = Number(t);
  const parallelism = Number(p);
  const salt = decodePhcB64(saltText);
  const tag = decodePhcB64(hashText);
  if (!salt || !tag) throw malformed('argon2 salt or hash is not valid B64');
  // Argon2's own minimums: 8-byte salt, 4-byte tag, one pass, one lane, 8 KiB per lane.
  if (salt.length < 8 || tag.length < 4) throw malformed('argon2 salt or hash is too short');
  if (time < 1 || parallelism < 1 || memoryKiB < 8 * parallelism) {
    throw malformed('argon2 parameters are below its minimums');
  }
  const { maxMemoryKiB, maxTime, maxParallelism } = bounds.argon2;
  if (memoryKiB > maxMemoryKiB || time > maxTime || parallelism > maxParallelism) {
    throw outOfBounds(
      `argon2 m=${memoryKiB},t=${time},p=${parallelism} exceeds m≤${maxMemoryKiB},t≤${maxTime},p≤${maxParallelism}`,
    );
  }
  return { kind: 'argon2', encoded: value, cost: { memoryKiB, time, parallelism } };
}

function planLdap(hash: JsonObject, spec: JsonObject): Method {
  refuseSalt(spec, 'ldap');
  const value = requireUtf8(hash, 'ldap');
  const match = /^\{([A-Za-z0-9.-]{1,16})\}(.*)$/s.exec(value);
  if (!match) throw malformed('hash.value is not an RFC 2307 {SCHEME}value string');
  const [, scheme = '', body = ''] = match;
  const known = own(LDAP_SCHEMES, scheme.toLowerCase());
  if (!known) {
    throw unknown(`LDAP scheme {${scheme.slice(0, 16)}} is not one Auth0 supports (md5, smd5, sha*, ssha*)`);
  }
  const bytes =
    /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64') : null;
  if (!bytes) throw malformed('LDAP hash is not valid base64');
  const size = own(DIGEST_BYTES, known.digest) ?? 0;
  if (known.salted ? bytes.length <= size : bytes.length !== size) {
    throw malformed(
      `{${scheme}} value is ${bytes.length} bytes, which does not fit a ${size}-byte ${known.digest} digest`,
    );
  }
  return {
    kind: 'ldap',
    digest: known.digest,
    expected: bytes.subarray(0, size),
    salt: bytes.subarray(size),
    cost: {},
  };
}

function plan(encoded: unknown): Plan {
  if (typeof encoded !== 'string') throw malformed('not a string');
  if (encoded.length > bounds.maxEncodedLength) {
    throw malformed(`longer than ${bounds.maxEncodedLength} characters`);
  }
  const spec = parseJson(encoded);
  if (!spec) throw malformed('not a JSON custom_password_hash object');
  onlyKeys(spec, 'custom_password_hash', [
    'algorithm',
    'hash',
    'salt',
    'password',
    'keylen',
    'cost',
    'blockSize',
    'parallelization',
  ]);
  const algorithm = spec.algorithm;
  if (typeof algorithm !== 'string' || !ALGORITHMS.has(algorithm)) {
    throw unknown(
      typeof algorithm === 'string'
        ? `algorithm ${label(algorithm)} is not one Auth0 documents`
        : 'algorithm is missing',
    );
  }
  const hash = spec.hash;
  if (!isObject(hash)) throw malformed('hash must be an object with value and encoding');
  onlyKeys(hash, 'hash', ['value', 'encoding', 'digest', 'key']);
  let passwordEncoding: BufferEncoding = 'utf8';
  if (spec.password !== undefined) {
    if (!isObject(spec.password)) throw malformed('password is not an object');
    onlyKeys(spec.password, 'password', ['encoding']);
    const encoding = optionalString(spec.password, 'encoding', 'password') ?? 'utf8';
    if (!PASSWORD_ENCODINGS.has(encoding)) {
      throw malformed(`password.encoding ${label(encoding)} is not one Auth0 documents`);
    }
    passwordEncoding = encoding as BufferEncoding;
  }
  let planned: Method;
  switch (algorithm) {
    case 'hmac':
      planned = planHmac(hash, spec);
      break;
    case 'pbkdf2':
      planned = planPbkdf2(hash, spec);
      break;
    case 'scrypt':
      planned = planScrypt(hash, spec);
      break;
    case 'bcrypt':
      planned = planBcrypt(hash, spec);
      break;
    case 'argon2':
      planned = planArgon2(hash, spec);
      break;
    case 'ldap':
      planned = planLdap(hash, spec);
      break;
    default:
      planned = planDigest(algorithm, hash, spec);
  }
  return { ...planned, passwordEncoding };
}

function tryPlan(encoded: unknown): Plan | Failure {
  try {
    return plan(encoded);
  } catch (error) {
    if (error instanceof Refusal) return error.outcome;
    return { ok: false, reason: 'malformed_hash', detail: 'unreadable custom_password_hash' };
  }
}

const isFailure = (value: Plan | Failure): value is Failure => 'ok' in value;

const salted = (password: Buffer, salt: Salt | null): Buffer =>
  !salt
    ? password
    : salt.position === 'prefix'
      ? Buffer.concat([salt.bytes, password])
      : Buffer.concat([password, salt.bytes]);

async function check(planned: Plan, password: Buffer): Promise<boolean> {
  switch (planned.kind) {
    case 'digest':
      return constantTimeEqual(
        createHash(planned.digest).update(salted(password, planned.salt)).digest(),
        planned.expected,
      );
    case 'hmac':
      return constantTimeEqual(
        createHmac(planned.digest, planned.key).update(salted(password, planned.salt)).digest(),
        planned.expected,
      );
    case 'ldap':
      return constantTimeEqual(
        createHash(planned.digest).update(password).update(planned.salt).digest(),
        planned.expected,
      );
    case 'pbkdf2': {
      const derived = await pbkdf2Async(
        password,
        planned.salt,
        planned.iterations,
        planned.expected.length,
        planned.digest,
      );
      return constantTimeEqual(derived, planned.expected);
    }
    case 'scrypt': {
      const { N, r, p } = planned;
      const derived = await deriveScrypt(password, planned.salt, planned.expected.length, { N, r, p });
      return constantTimeEqual(derived, planned.expected);
    }
    case 'bcrypt':
      // bcrypt compares in constant time internally.
      return bcrypt.compare(salted(password, planned.salt), planned.encoded);
    case 'argon2':
      return argon2Verify(planned.encoded, password);
  }
}

export const auth0Families: HashFamily[] = [
  {
    name: NAME,
    matches(encoded) {
      if (typeof encoded !== 'string') return false;
      const spec = parseJson(encoded);
      return spec !== null && typeof spec.algorithm === 'string' && ALGORITHMS.has(spec.algorithm);
    },
    parse(encoded) {
      const planned = tryPlan(encoded);
      if (isFailure(planned)) return planned;
      return { ok: true, family: NAME, cost: planned.cost };
    },
    async verify(encoded, password) {
      if (typeof password !== 'string' || Buffer.byteLength(password, 'utf8') > bounds.maxPasswordBytes) {
        return false;
      }
      const planned = tryPlan(encoded);
      if (isFailure(planned)) return false;
      try {
        // Auth0 transcodes the typed password into the encoding the legacy system hashed.
        return await check(planned, Buffer.from(password, planned.passwordEncoding));
      } catch {
        return false;
      }
    },
  },
];
