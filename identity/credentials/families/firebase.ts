// Firebase Authentication's modified scrypt (github.com/firebase/scrypt). The exported hash is
// AES-256-CTR(key = scrypt(password, salt ‖ saltSeparator, N = 2^memCost, r = rounds, p = 1)[0..32),
// IV = 0) applied to the project's signer key. The hash and the per-user salt come from the export row;
// the signer key, salt separator, rounds and mem_cost are the project's hash config (`--hash-config`),
// which the importer merges into `params`.
import { createCipheriv } from 'node:crypto';
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import { deriveScrypt } from '../family-kit.ts';
import type { HashFamily, HashParams, ParseOutcome } from '../types.ts';

const NAME = 'firebase_scrypt';
const DERIVED_KEY_BYTES = 64;
const MAX_MEM_COST = Math.log2(bounds.scrypt.maxN);

/**
 * Strict base64: the CLI export writes the standard alphabet, the Admin SDK the URL-safe one, so both
 * are read; padding is optional. Anything else is refused (Buffer.from would skip it silently).
 */
function decodeBase64(text: unknown, allowEmpty = false): Buffer | null {
  if (typeof text !== 'string' || text.length > bounds.maxEncodedLength) return null;
  if (text.length === 0) return allowEmpty ? Buffer.alloc(0) : null;
  const match = /^([A-Za-z0-9+/_-]+)(={0,2})$/.exec(text);
  if (!match) return null;
  const body = match[1] ?? '';
  const padding = match[2] ?? '';
  if (body.length % 4 === 1 || (padding && (body.length + padding.length) % 4 !== 0)) return null;
  return Buffer.from(body, 'base64');
}

interface Decoded {
  hash: Buffer;
  salt: Buffer;
  signerKey: Buffer;
  rounds: number;
  memCost: number;
}

type Failure = Extract<ParseOutcome, { ok: false }>;

const malformed = (detail: string): Failure => ({ ok: false, reason: 'malformed_hash', detail });
const outOfBounds = (detail: string): Failure => ({ ok: false, reason: 'hash_params_out_of_bounds', detail });

function decode(encoded: unknown, params: HashParams | undefined): Decoded | Failure {
  if (typeof params !== 'object' || params === null) {
    return malformed('Firebase scrypt needs the hash config as params');
  }
  const hash = decodeBase64(encoded);
  if (!hash) return malformed('password hash is not valid base64');
  const userSalt = decodeBase64(params.salt);
  if (!userSalt) return malformed('salt is missing or not valid base64');
  const signerKey = decodeBase64(params.signerKey);
  if (!signerKey) return malformed('hash config signerKey is missing or not valid base64');
  // A separator may legitimately be empty; an absent one means the hash config was not merged in.
  const separator = decodeBase64(params.saltSeparator, true);
  if (!separator) return malformed('hash config saltSeparator is missing or not valid base64');
  const { rounds, memCost } = params;
  if (typeof rounds !== 'number' || !Number.isInteger(rounds)) {
    return malformed('hash config rounds is not an integer');
  }
  if (typeof memCost !== 'number' || !Number.isInteger(memCost)) {
    return malformed('hash config memCost is not an integer');
  }
  if (rounds < 1 || rounds > bounds.scrypt.maxR) {
    return outOfBounds(`rounds ${rounds} is outside 1–${bounds.scrypt.maxR}`);
  }
  if (memCost < 1 || memCost > MAX_MEM_COST) {
    return outOfBounds(`memCost ${memCost} is outside 1–${MAX_MEM_COST}`);
  }
  const memory = 128 * 2 ** memCost * rounds;
  if (memory > bounds.scrypt.maxMemoryBytes) {
    return outOfBounds(`scrypt would use ${memory} bytes, over ${bounds.scrypt.maxMemoryBytes}`);
  }
  // CTR mode keeps the signer key's length, so a hash of any other length can never match.
  if (hash.length !== signerKey.length) {
    return malformed(`password hash is ${hash.length} bytes but the signer key is ${signerKey.length}`);
  }
  return { hash, salt: Buffer.concat([userSalt, separator]), signerKey, rounds, memCost };
}

const isFailure = (value: Decoded | Failure): value is Failure => 'ok' in value;

export const firebaseFamilies: HashFamily[] = [
  {
    name: NAME,
    // A Firebase hash is bare base64 with nothing to recognise it by; only the hash config says it is one.
    matches(_encoded, params) {
      return (
        typeof params === 'object' &&
        params !== null &&
        typeof params.signerKey === 'string' &&
        params.signerKey !== '' &&
        typeof params.salt === 'string'
      );
    },
    parse(encoded, params) {
      const decoded = decode(encoded, params);
      if (isFailure(decoded)) return decoded;
      return { ok: true, family: NAME, cost: { rounds: decoded.rounds, memCost: decoded.memCost } };
    },
    async verify(encoded, password, params) {
      if (typeof password !== 'string' || Buffer.byteLength(password, 'utf8') > bounds.maxPasswordBytes) {
        return false;
      }
      const decoded = decode(encoded, params);
      if (isFailure(decoded)) return false;
      const N = 2 ** decoded.memCost;
      const r = decoded.rounds;
      try {
        const derived = await deriveScrypt(password, decoded.salt, DERIVED_KEY_BYTES, { N, r, p: 1 });
        const cipher = createCipheriv('aes-256-ctr', derived.subarray(0, 32), Buffer.alloc(16));
        const computed = Buffer.concat([cipher.update(decoded.signerKey), cipher.final()]);
        return constantTimeEqual(computed, decoded.hash);
      } catch {
        return false;
      }
    },
  },
];
