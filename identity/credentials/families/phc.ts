// passlib's PBKDF2 hashes ($pbkdf2$, $pbkdf2-sha256$, $pbkdf2-sha512$) and its PHC-style scrypt
// ($scrypt$ln=…,r=…,p=…$salt$hash).
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import {
  checkIterations,
  checkScrypt,
  decodeBase64,
  defineFamily,
  derivePbkdf2,
  deriveScrypt,
  malformed,
  outOfBounds,
  parseDecimal,
  type ScryptParams,
} from '../family-kit.ts';
import type { HashFamily } from '../types.ts';

// ---------------------------------------------------------------------------------------------------
// passlib pbkdf2_sha1 / pbkdf2_sha256 / pbkdf2_sha512: $pbkdf2[-sha256|-sha512]$rounds$salt$checksum
// ---------------------------------------------------------------------------------------------------

interface Pbkdf2Hash {
  iterations: number;
  salt: Buffer;
  checksum: Buffer;
}

/** passlib's salts are 0–1024 bytes (it generates 16). */
const PBKDF2_MAX_SALT_BYTES = 1024;

function passlibPbkdf2(name: string, ident: string, digest: 'sha1' | 'sha256' | 'sha512', size: number) {
  const prefix = `$${ident}$`;
  return defineFamily<Pbkdf2Hash>({
    name,
    matches: (encoded) => encoded.startsWith(prefix),
    inspect(encoded) {
      const fields = encoded.slice(prefix.length).split('$');
      if (fields.length !== 3) return malformed(`expected ${prefix}rounds$salt$checksum`);
      const [roundsText = '', saltText = '', checksumText = ''] = fields;
      const iterations = checkIterations(roundsText);
      if (typeof iterations !== 'number') return iterations;
      const salt = decodeBase64(saltText, 'ab64');
      if (!salt) return malformed('salt is not passlib ab64');
      if (salt.length > PBKDF2_MAX_SALT_BYTES)
        return malformed(`salt is over ${PBKDF2_MAX_SALT_BYTES} bytes`);
      const checksum = decodeBase64(checksumText, 'ab64');
      if (!checksum) return malformed('checksum is not passlib ab64');
      if (checksum.length !== size) return malformed(`checksum is ${checksum.length} bytes, not ${size}`);
      return { ok: true, value: { iterations, salt, checksum }, cost: { iterations } };
    },
    async check({ iterations, salt, checksum }, password) {
      const derived = await derivePbkdf2(password, salt, iterations, size, digest);
      return constantTimeEqual(derived, checksum);
    },
  });
}

// ---------------------------------------------------------------------------------------------------
// passlib scrypt: $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<checksum> (standard base64, no padding)
// ---------------------------------------------------------------------------------------------------

interface ScryptHash extends ScryptParams {
  salt: Buffer;
  checksum: Buffer;
}

/** passlib writes 32-byte checksums; other lengths are accepted within reason, never a 0-byte one. */
const SCRYPT_CHECKSUM_BYTES = { min: 16, max: 64 };
const SCRYPT_MAX_SALT_BYTES = 1024;

const phcScrypt = defineFamily<ScryptHash>({
  name: 'phc_scrypt',
  matches: (encoded) => encoded.startsWith('$scrypt$'),
  inspect(encoded) {
    const fields = encoded.split('$');
    if (fields.length !== 5 || fields[0] !== '')
      return malformed('expected $scrypt$ln=…,r=…,p=…$salt$checksum');
    const [, , paramText = '', saltText = '', checksumText = ''] = fields;
    // passlib writes exactly these three parameters, in this order.
    const match = /^ln=([0-9]{1,4}),r=([0-9]{1,12}),p=([0-9]{1,12})$/.exec(paramText);
    if (!match) return malformed('parameters must be ln=…,r=…,p=…');
    const ln = parseDecimal(match[1] ?? '');
    const r = parseDecimal(match[2] ?? '');
    const p = parseDecimal(match[3] ?? '');
    if (ln === null || r === null || p === null) return malformed('parameters must be plain decimal numbers');
    if (ln < 1) return malformed('scrypt ln must be at least 1');
    const maxLn = Math.log2(bounds.scrypt.maxN);
    if (ln > maxLn) return outOfBounds(`scrypt ln=${ln} is over ${maxLn}`);
    const params = { N: 2 ** ln, r, p };
    const failure = checkScrypt(params);
    if (failure) return failure;
    const salt = decodeBase64(saltText, 'unpadded');
    if (!salt) return malformed('salt is not unpadded base64');
    if (salt.length > SCRYPT_MAX_SALT_BYTES) return malformed(`salt is over ${SCRYPT_MAX_SALT_BYTES} bytes`);
    const checksum = decodeBase64(checksumText, 'unpadded');
    if (!checksum) return malformed('checksum is not unpadded base64');
    if (checksum.length < SCRYPT_CHECKSUM_BYTES.min || checksum.length > SCRYPT_CHECKSUM_BYTES.max) {
      return malformed(`checksum is ${checksum.length} bytes`);
    }
    return { ok: true, value: { ...params, salt, checksum }, cost: { ln, r, p } };
  },
  async check({ salt, checksum, ...params }, password) {
    const derived = await deriveScrypt(password, salt, checksum.length, params);
    return constantTimeEqual(derived, checksum);
  },
});

export const phcFamilies: HashFamily[] = [
  passlibPbkdf2('phc_pbkdf2_sha1', 'pbkdf2', 'sha1', 20),
  passlibPbkdf2('phc_pbkdf2_sha256', 'pbkdf2-sha256', 'sha256', 32),
  passlibPbkdf2('phc_pbkdf2_sha512', 'pbkdf2-sha512', 'sha512', 64),
  phcScrypt,
];
