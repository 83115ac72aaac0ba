// crypt(3) encodings as Linux /etc/shadow, OpenLDAP {CRYPT}, PHP's crypt() and Apache's htpasswd write them:
//   md5_crypt     $1$salt$checksum                 salt ≤ 8, checksum 22, 1,000 fixed rounds
//   apr1          $apr1$salt$checksum              the same algorithm with Apache's magic string
//   sha256_crypt  $5$[rounds=N$]salt$checksum      salt ≤ 16, checksum 43, N defaults to 5,000
//   sha512_crypt  $6$[rounds=N$]salt$checksum      salt ≤ 16, checksum 86
// An explicit rounds= below crypt(3)'s floor of 1,000 (or zero-padded) is malformed rather than clamped:
// glibc raises such a request to 1,000 and writes `rounds=1000`, so no crypt(3) output carries it.
// The hash loops are JavaScript over node:crypto (algorithms/crypt.ts) and run on a worker thread.
import { bounds } from '../bounds.ts';
import { parseCryptEncoding, type CryptScheme } from '../algorithms/crypt.ts';
import { constantTimeEqual } from '../compare.ts';
import { computeOffThread } from '../offthread.ts';
import type { HashFamily, ParseOutcome } from '../types.ts';

const prefixes: Record<CryptScheme, string> = {
  md5_crypt: '$1$',
  apr1: '$apr1$',
  sha256_crypt: '$5$',
  sha512_crypt: '$6$',
};

function parse(scheme: CryptScheme, encoded: string): ParseOutcome {
  if (typeof encoded !== 'string' || !encoded.startsWith(prefixes[scheme])) {
    return { ok: false, reason: 'malformed_hash', detail: `not a ${prefixes[scheme]} encoding` };
  }
  const parsed = parseCryptEncoding(encoded);
  if (!parsed.ok) return parsed;
  const { settings } = parsed;
  // MD5-crypt has no cost parameter: its 1,000 rounds are fixed, and reported for the metrics alike.
  return { ok: true, family: scheme, cost: { rounds: settings.rounds } };
}

/** A password too long to hash at all (or not a string); checked before any work is queued. */
function passwordTooLong(password: string): boolean {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused without encoding it.
  const max = bounds.maxPasswordBytes;
  return typeof password !== 'string' || password.length > max || Buffer.byteLength(password, 'utf8') > max;
}

function cryptFamily(scheme: CryptScheme): HashFamily {
  return {
    name: scheme,
    matches: (encoded) => typeof encoded === 'string' && encoded.startsWith(prefixes[scheme]),
    parse: (encoded) => parse(scheme, encoded),
    async verify(encoded, password) {
      try {
        if (!parse(scheme, encoded).ok || passwordTooLong(password)) return false;
        const recomputed = await computeOffThread('crypt', password, encoded);
        return recomputed !== null && constantTimeEqual(recomputed, encoded);
      } catch {
        return false;
      }
    },
  };
}

export const cryptFamilies: HashFamily[] = [
  cryptFamily('md5_crypt'),
  cryptFamily('apr1'),
  cryptFamily('sha256_crypt'),
  cryptFamily('sha512_crypt'),
];
