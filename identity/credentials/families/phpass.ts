// phpass and Drupal 7 encodings:
//   phpass   $P$ (WordPress, phpass) or $H$ (phpBB 3): count character, 8-character salt, 22-character
//            MD5 checksum; 34 characters in all
//   drupal7  $S$: the same layout over SHA-512, the encoding cut to 55 characters (DRUPAL_HASH_LENGTH)
// The count character's itoa64 index is the log2 of the iteration count (WordPress writes B = 13, Drupal 7
// D = 15), bounded by bounds.phpassLog2. Drupal refuses passwords over 512 bytes, so they never match here
// either. The hash loops are JavaScript over node:crypto (algorithms/phpass.ts) and run on a worker thread.
import { DRUPAL_MAX_PASSWORD_BYTES, parsePhpassEncoding, type PhpassScheme } from '../algorithms/phpass.ts';
import { bounds } from '../bounds.ts';
import { constantTimeEqual } from '../compare.ts';
import { computeOffThread } from '../offthread.ts';
import type { HashFamily, ParseOutcome } from '../types.ts';

const ids: Record<PhpassScheme, readonly string[]> = { phpass: ['$P$', '$H$'], drupal7: ['$S$'] };

const hasId = (scheme: PhpassScheme, encoded: string): boolean =>
  typeof encoded === 'string' && ids[scheme].some((id) => encoded.startsWith(id));

function parse(scheme: PhpassScheme, encoded: string): ParseOutcome {
  if (!hasId(scheme, encoded)) {
    return { ok: false, reason: 'malformed_hash', detail: `not a ${ids[scheme].join(' or ')} encoding` };
  }
  const parsed = parsePhpassEncoding(encoded);
  if (!parsed.ok) return parsed;
  return { ok: true, family: scheme, cost: { log2Iterations: parsed.settings.log2Iterations } };
}

/** A password too long to hash at all (or not a string); checked before any work is queued. */
function passwordTooLong(password: string, max: number): boolean {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused without encoding it.
  return typeof password !== 'string' || password.length > max || Buffer.byteLength(password, 'utf8') > max;
}

function phpassFamily(scheme: PhpassScheme): HashFamily {
  const maxPasswordBytes =
    scheme === 'drupal7'
      ? Math.min(DRUPAL_MAX_PASSWORD_BYTES, bounds.maxPasswordBytes)
      : bounds.maxPasswordBytes;
  return {
    name: scheme,
    matches: (encoded) => hasId(scheme, encoded),
    parse: (encoded) => parse(scheme, encoded),
    async verify(encoded, password) {
      try {
        if (!parse(scheme, encoded).ok || passwordTooLong(password, maxPasswordBytes)) return false;
        const recomputed = await computeOffThread('phpass', password, encoded);
        return recomputed !== null && constantTimeEqual(recomputed, encoded);
      } catch {
        return false;
      }
    },
  };
}

export const phpassFamilies: HashFamily[] = [phpassFamily('phpass'), phpassFamily('drupal7')];
