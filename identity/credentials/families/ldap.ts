// RFC 2307 userPassword values as OpenLDAP (slappasswd), 389-ds and Apache DS write them:
// {SCHEME}base64(digest) for the plain schemes and {SCHEME}base64(digest ‖ salt) for the salted ones,
// where digest = H(password ‖ salt). The scheme tag is matched case-insensitively (RFC 2307 schemes
// are, and Apache DS writes lowercase).
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../compare.ts';
import type { HashFamily } from '../types.ts';
import { decodeBase64, defineFamily, malformed } from '../family-kit.ts';

interface LdapHash {
  digest: Buffer;
  salt: Buffer;
}

// slappasswd writes 4-byte salts, 389-ds and passlib 8 and others up to 16; passlib refuses fewer than
// 4 bytes as malformed and so do we (so a truncated value cannot pass as a short-salted one). 64 is a
// generous ceiling that keeps the whole value small.
const SALT_BYTES = { min: 4, max: 64 };

function ldapFamily(
  name: string,
  scheme: string,
  algorithm: 'sha1' | 'sha256' | 'sha512' | 'md5',
  salted: boolean,
) {
  const tag = `{${scheme}}`;
  const size = createHash(algorithm).digest().length;
  return defineFamily<LdapHash>({
    name,
    matches: (encoded) => encoded.slice(0, tag.length).toUpperCase() === tag,
    inspect(encoded) {
      if (encoded.slice(0, tag.length).toUpperCase() !== tag) return malformed(`does not start with ${tag}`);
      const raw = decodeBase64(encoded.slice(tag.length), 'padded');
      if (!raw) return malformed('value is not padded base64');
      if (!salted) {
        if (raw.length !== size) return malformed(`digest is ${raw.length} bytes, not ${size}`);
        return { ok: true, value: { digest: raw, salt: Buffer.alloc(0) }, cost: {} };
      }
      const saltBytes = raw.length - size;
      if (saltBytes < SALT_BYTES.min || saltBytes > SALT_BYTES.max) {
        return malformed(`salt is ${saltBytes} bytes, not ${SALT_BYTES.min}–${SALT_BYTES.max}`);
      }
      return { ok: true, value: { digest: raw.subarray(0, size), salt: raw.subarray(size) }, cost: {} };
    },
    // One fast digest: cheap enough for the event loop (types.ts allows a single small digest).
    async check({ digest, salt }, password) {
      const computed = createHash(algorithm).update(password, 'utf8').update(salt).digest();
      return constantTimeEqual(computed, digest);
    },
  });
}

export const ldapFamilies: HashFamily[] = [
  ldapFamily('ldap_sha', 'SHA', 'sha1', false),
  ldapFamily('ldap_ssha', 'SSHA', 'sha1', true),
  ldapFamily('ldap_ssha256', 'SSHA256', 'sha256', true),
  ldapFamily('ldap_ssha512', 'SSHA512', 'sha512', true),
  ldapFamily('ldap_md5', 'MD5', 'md5', false),
  ldapFamily('ldap_smd5', 'SMD5', 'md5', true),
];
