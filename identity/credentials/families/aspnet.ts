// ASP.NET Identity's PasswordHasher<TUser>: a base64 blob whose first byte names the format.
//   v2 (Identity 2.x, Core "IdentityV2" compatibility mode): 0x00 ‖ 16-byte salt ‖ 32-byte subkey,
//      PBKDF2-HMAC-SHA1 with 1,000 iterations, always 49 bytes.
//   v3 (Core default): 0x01 ‖ PRF ‖ iterations ‖ salt length (uint32 big-endian each) ‖ salt ‖ subkey,
//      PBKDF2 with PRF 0 = HMAC-SHA1, 1 = HMAC-SHA256, 2 = HMAC-SHA512.
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import type { HashFamily, ParseOutcome } from '../types.ts';

const pbkdf2Async = promisify(pbkdf2);

const V2_LENGTH = 1 + 16 + 32;
const V2_ITERATIONS = 1_000;
const V3_HEADER = 13;
// ASP.NET itself refuses salts and subkeys shorter than 128 bits when it reads a v3 blob.
const MIN_SALT = 16;
const MIN_SUBKEY = 16;
// A salt longer than this is no real export; the encoded-length ceiling bounds the blob anyway.
const MAX_SALT = 1_024;

const PRFS = [
  { digest: 'sha1', bytes: 20 },
  { digest: 'sha256', bytes: 32 },
  { digest: 'sha512', bytes: 64 },
] as const;

interface Decoded {
  digest: (typeof PRFS)[number]['digest'];
  iterations: number;
  salt: Buffer;
  subkey: Buffer;
}

type Decoding = { ok: true; value: Decoded } | { ok: false; outcome: Extract<ParseOutcome, { ok: false }> };

const malformed = (detail: string): Decoding => ({
  ok: false,
  outcome: { ok: false, reason: 'malformed_hash', detail },
});

/** Strict base64 (standard alphabet, padded): Buffer.from alone skips stray characters silently. */
function decodeBase64(encoded: string): Buffer | null {
  if (encoded.length === 0 || encoded.length > bounds.maxEncodedLength || encoded.length % 4 !== 0) {
    return null;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return null;
  return Buffer.from(encoded, 'base64');
}

function decodeV2(encoded: string): Decoding {
  const blob = decodeBase64(encoded);
  if (!blob) return malformed('not valid base64');
  if (blob[0] !== 0x00) return malformed('format marker is not 0x00 (ASP.NET Identity v2)');
  if (blob.length !== V2_LENGTH) {
    return malformed(`v2 payload is ${blob.length} bytes, expected ${V2_LENGTH}`);
  }
  return {
    ok: true,
    value: {
      digest: 'sha1',
      iterations: V2_ITERATIONS,
      salt: blob.subarray(1, 17),
      subkey: blob.subarray(17),
    },
  };
}

function decodeV3(encoded: string): Decoding {
  const blob = decodeBase64(encoded);
  if (!blob) return malformed('not valid base64');
  if (blob[0] !== 0x01) return malformed('format marker is not 0x01 (ASP.NET Identity v3)');
  if (blob.length < V3_HEADER) return malformed('v3 header is truncated');
  const prfId = blob.readUInt32BE(1);
  const iterations = blob.readUInt32BE(5);
  const saltLength = blob.readUInt32BE(9);
  const prf = PRFS[prfId];
  if (!prf) return malformed(`unknown v3 PRF ${prfId} (expected 0 = SHA1, 1 = SHA256, 2 = SHA512)`);
  if (saltLength < MIN_SALT || saltLength > MAX_SALT) {
    return malformed(`v3 salt length ${saltLength} is outside ${MIN_SALT}–${MAX_SALT} bytes`);
  }
  const subkeyLength = blob.length - V3_HEADER - saltLength;
  if (subkeyLength < MIN_SUBKEY) {
    return malformed(`v3 subkey is ${Math.max(0, subkeyLength)} bytes, under ${MIN_SUBKEY}`);
  }
  if (iterations < bounds.pbkdf2Iterations.min || iterations > bounds.pbkdf2Iterations.max) {
    return {
      ok: false,
      outcome: {
        ok: false,
        reason: 'hash_params_out_of_bounds',
        detail: `${iterations} PBKDF2 iterations is outside ${bounds.pbkdf2Iterations.min}–${bounds.pbkdf2Iterations.max}`,
      },
    };
  }
  // PBKDF2 runs the whole iteration count once per output block, so a long subkey multiplies the work.
  const work = iterations * Math.ceil(subkeyLength / prf.bytes);
  if (work > bounds.pbkdf2Iterations.max) {
    return {
      ok: false,
      outcome: {
        ok: false,
        reason: 'hash_params_out_of_bounds',
        detail: `a ${subkeyLength}-byte subkey at ${iterations} iterations costs ${work} PBKDF2 rounds, over ${bounds.pbkdf2Iterations.max}`,
      },
    };
  }
  const salt = blob.subarray(V3_HEADER, V3_HEADER + saltLength);
  return {
    ok: true,
    value: { digest: prf.digest, iterations, salt, subkey: blob.subarray(V3_HEADER + saltLength) },
  };
}

async function verifyDecoded(decoding: Decoding, password: string): Promise<boolean> {
  if (!decoding.ok) return false;
  if (Buffer.byteLength(password, 'utf8') > bounds.maxPasswordBytes) return false;
  const { digest, iterations, salt, subkey } = decoding.value;
  try {
    // KeyDerivation.Pbkdf2 hashes the password's UTF-8 bytes, as node:crypto does for a string.
    const derived = await pbkdf2Async(password, salt, iterations, subkey.length, digest);
    return constantTimeEqual(derived, subkey);
  } catch {
    return false;
  }
}

function family(
  name: string,
  decode: (encoded: string) => Decoding,
  matches: (blob: Buffer) => boolean,
): HashFamily {
  return {
    name,
    matches(encoded) {
      if (typeof encoded !== 'string') return false;
      const blob = decodeBase64(encoded);
      return blob !== null && matches(blob);
    },
    parse(encoded) {
      if (typeof encoded !== 'string') return { ok: false, reason: 'malformed_hash', detail: 'not a string' };
      const decoding = decode(encoded);
      if (!decoding.ok) return decoding.outcome;
      const { iterations, salt, subkey } = decoding.value;
      return {
        ok: true,
        family: name,
        cost: { iterations, saltBytes: salt.length, subkeyBytes: subkey.length },
      };
    },
    async verify(encoded, password) {
      if (typeof encoded !== 'string' || typeof password !== 'string') return false;
      return verifyDecoded(decode(encoded), password);
    },
  };
}

export const aspnetFamilies: HashFamily[] = [
  // Exactly 49 bytes behind a zero byte: plain base64 of any other length is not claimed.
  family('aspnet_identity_v2', decodeV2, (blob) => blob.length === V2_LENGTH && blob[0] === 0x00),
  // Marker 0x01, then a PRF field whose top three bytes are zero and whose value is 0–2, then room for the
  // salt length it declares: random base64 passes this far less than once in a trillion.
  family(
    'aspnet_identity_v3',
    decodeV3,
    (blob) =>
      blob.length >= V3_HEADER &&
      blob[0] === 0x01 &&
      blob.readUInt32BE(1) <= 2 &&
      blob.readUInt32BE(9) <= blob.length - V3_HEADER,
  ),
];
