// Argon2 PHC strings: $argon2id$v=19$m=…,t=…,p=…$salt$hash and $argon2i$…, as PHP's password_hash,
// argon2-cffi, libsodium and the reference implementation write them. A string without `v=` predates
// Argon2 1.3 and is version 0x10 (the reference decoder's rule), not 0x13.
// $argon2d$ is not claimed, so it reports as an unknown format: it is a key-derivation variant, weak
// against side channels, that no platform we migrate from uses for passwords.
import { hashRaw, type Algorithm, type Version } from '@node-rs/argon2';
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import type { HashFamily } from '../types.ts';
import {
  decodeBase64,
  defineFamily,
  malformed,
  outOfBounds,
  parseDecimal,
  type Inspection,
} from '../family-kit.ts';

export interface Argon2Hash {
  variant: 'argon2i' | 'argon2id';
  version: 0x10 | 0x13;
  memoryKiB: number;
  passes: number;
  lanes: number;
  salt: Buffer;
  digest: Buffer;
}

// @node-rs/argon2 declares its enums `const`, which isolatedModules cannot read; these are their values.
const ALGORITHM: Record<Argon2Hash['variant'], Algorithm> = {
  argon2i: 1 as Algorithm,
  argon2id: 2 as Algorithm,
};
const VERSION: Record<Argon2Hash['version'], Version> = { 0x10: 0 as Version, 0x13: 1 as Version };

/** The reference implementation's minimum salt; producers write 16 (Django 22), so 64 is generous. */
const SALT_BYTES = { min: 8, max: 64 };
/** Argon2's minimum tag is 4 bytes; nobody writes more than 64. */
const DIGEST_BYTES = { min: 4, max: 64 };
const U32_MAX = 0xffff_ffff;

/**
 * Validates `$argon2id$…` / `$argon2i$…`; `only` pins the variant (each family claims one, Django's
 * `argon2$…` wrapper either).
 */
export function inspectArgon2(encoded: string, only?: Argon2Hash['variant']): Inspection<Argon2Hash> {
  const fields = encoded.split('$');
  if (fields[0] !== '') return malformed('an argon2 hash starts with $');
  const variant = fields[1];
  if (variant !== 'argon2i' && variant !== 'argon2id')
    return malformed('only argon2id and argon2i are accepted');
  if (only && variant !== only) return malformed(`not an ${only} hash`);
  let version: Argon2Hash['version'] = 0x10;
  let rest = fields.slice(2);
  const versionMatch = /^v=([0-9]+)$/.exec(rest[0] ?? '');
  if (versionMatch) {
    if (versionMatch[1] === '19') version = 0x13;
    else if (versionMatch[1] !== '16') return malformed(`argon2 version ${versionMatch[1]} is not 16 or 19`);
    rest = rest.slice(1);
  }
  if (rest.length !== 3) return malformed('expected $argon2…[$v=…]$m=…,t=…,p=…$salt$hash');
  const [paramText = '', saltText = '', digestText = ''] = rest;
  // The reference decoder takes exactly m, t, p in this order; keyid= and data= need a secret and
  // associated data we do not have, so they are refused with the rest.
  const params = /^m=([0-9]+),t=([0-9]+),p=([0-9]+)$/.exec(paramText);
  if (!params) return malformed('parameters must be m=…,t=…,p=… (no keyid or data)');
  const memoryKiB = parseDecimal(params[1] ?? '');
  const passes = parseDecimal(params[2] ?? '');
  const lanes = parseDecimal(params[3] ?? '');
  if (memoryKiB === null || passes === null || lanes === null) {
    return malformed('parameters must be plain decimal numbers');
  }
  if (memoryKiB > U32_MAX || passes > U32_MAX || lanes > 0xff_ffff) {
    return malformed('argon2 parameters are beyond what the algorithm allows');
  }
  if (passes < 1 || lanes < 1) return malformed('argon2 t and p must be at least 1');
  if (memoryKiB < 8 * lanes) return malformed(`argon2 needs m ≥ 8·p (m=${memoryKiB}, p=${lanes})`);
  const { maxMemoryKiB, maxTime, maxParallelism } = bounds.argon2;
  if (memoryKiB > maxMemoryKiB) return outOfBounds(`argon2 m=${memoryKiB} KiB is over ${maxMemoryKiB}`);
  if (passes > maxTime) return outOfBounds(`argon2 t=${passes} is over ${maxTime}`);
  if (lanes > maxParallelism) return outOfBounds(`argon2 p=${lanes} is over ${maxParallelism}`);
  const salt = decodeBase64(saltText, 'unpadded');
  if (!salt) return malformed('salt is not unpadded base64');
  if (salt.length < SALT_BYTES.min || salt.length > SALT_BYTES.max) {
    return malformed(`salt is ${salt.length} bytes, not ${SALT_BYTES.min}–${SALT_BYTES.max}`);
  }
  const digest = decodeBase64(digestText, 'unpadded');
  if (!digest) return malformed('hash is not unpadded base64');
  if (digest.length < DIGEST_BYTES.min || digest.length > DIGEST_BYTES.max) {
    return malformed(`hash is ${digest.length} bytes, not ${DIGEST_BYTES.min}–${DIGEST_BYTES.max}`);
  }
  return {
    ok: true,
    value: { variant, version, memoryKiB, passes, lanes, salt, digest },
    cost: { m: memoryKiB, t: passes, p: lanes, v: version },
  };
}

/** Recomputes the raw tag on the thread pool with the stored parameters and compares it ourselves. */
export async function verifyArgon2(hash: Argon2Hash, password: string): Promise<boolean> {
  const computed = await hashRaw(password, {
    algorithm: ALGORITHM[hash.variant],
    version: VERSION[hash.version],
    memoryCost: hash.memoryKiB,
    timeCost: hash.passes,
    parallelism: hash.lanes,
    outputLen: hash.digest.length,
    salt: hash.salt,
  });
  return constantTimeEqual(computed, hash.digest);
}

export const argon2Families: HashFamily[] = [
  defineFamily<Argon2Hash>({
    name: 'argon2id',
    matches: (encoded) => encoded.startsWith('$argon2id$'),
    inspect: (encoded) => inspectArgon2(encoded, 'argon2id'),
    check: verifyArgon2,
  }),
  defineFamily<Argon2Hash>({
    name: 'argon2i',
    matches: (encoded) => encoded.startsWith('$argon2i$'),
    inspect: (encoded) => inspectArgon2(encoded, 'argon2i'),
    check: verifyArgon2,
  }),
];
