// Legacy password encodings as other platforms write them, for a demo whose import mix looks real.
// Families that node:crypto and the native hashers can produce are generated with fresh salts; the
// others (phpass, crypt(3) SHA-512 and MD5, Apache apr1, Django bcrypt_sha256) come byte-exact from
// the sample legacy export, whose every password is the demo password.
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcrypt';

export const DEMO_PASSWORD = 'Sunrise-Clinic-2019';

export type LegacyFamily =
  | 'bcrypt'
  | 'django_pbkdf2_sha256'
  | 'phpass'
  | 'sha512_crypt'
  | 'ldap_ssha'
  | 'argon2id'
  | 'apr1'
  | 'aspnet_identity_v3'
  | 'django_bcrypt_sha256'
  | 'md5_crypt';

/** Hashes taken verbatim from the sample export (password: DEMO_PASSWORD). */
export const exportedSamples: Partial<Record<LegacyFamily, string>> = {
  phpass: '$P$Hn7x6vEn6iNjkQwczgrCp0pl9vM0vd0',
  sha512_crypt:
    '$6$to560rZGIr3IM76d$lx7Oo3yrNQtOSVsRvIKFK/hcLZVivP2W6SO1YXQp66KpXk36cXKzQ0mhgrRoZuC2207YAl3rlhazNr6oJugeK.',
  apr1: '$apr1$0UXeb7sZ$yTjIhwmRFkp8G7ZHF7Ke2.',
  django_bcrypt_sha256: 'bcrypt_sha256$$2b$12$AjEebMAFS/.64oFVSZLzjuU0fKZcJx4//AvmLlE4EUWv/l7.Sk2HC',
  md5_crypt: '$1$s55tb/5R$1OHpgVVsjLhvm7ae3X.Cc1',
};

/** PHP's password_hash(PASSWORD_BCRYPT) writes $2y$; the algorithm is bcrypt's $2b$. */
export async function encodeBcryptPhp(password: string, cost = 10): Promise<string> {
  return (await bcrypt.hash(password, cost)).replace(/^\$2b\$/, '$2y$');
}

/** Django's PBKDF2PasswordHasher: pbkdf2_sha256$<iterations>$<salt>$<base64 digest>. */
export function encodeDjangoPbkdf2(password: string, iterations = 100_000): string {
  const salt = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
  const digest = pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$${iterations}$${salt}$${digest}`;
}

/** OpenLDAP's {SSHA}: base64(SHA-1(password + salt) + salt). */
export function encodeLdapSsha(password: string): string {
  const salt = randomBytes(4);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** PHP's password_hash(PASSWORD_ARGON2ID) defaults: m=65536, t=4, p=1. */
export async function encodeArgon2idPhp(password: string): Promise<string> {
  return argon2Hash(password, { algorithm: 2, memoryCost: 65_536, timeCost: 4, parallelism: 1 });
}

/**
 * ASP.NET Core Identity v3: 0x01, PRF (1 = HMAC-SHA256), iteration count, salt length (big-endian
 * uint32 each), salt, 32-byte subkey; base64.
 */
export function encodeAspNetIdentityV3(password: string, iterations = 10_000): string {
  const salt = randomBytes(16);
  const subkey = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const header = Buffer.alloc(13);
  header.writeUInt8(0x01, 0);
  header.writeUInt32BE(1, 1);
  header.writeUInt32BE(iterations, 5);
  header.writeUInt32BE(salt.length, 9);
  return Buffer.concat([header, salt, subkey]).toString('base64');
}

/** A few distinct encodings per family, generated once per demo seed. */
export async function buildHashPool(
  password = DEMO_PASSWORD,
  perFamily = 4,
): Promise<Record<LegacyFamily, string[]>> {
  const times = <T>(make: () => Promise<T> | T) => Promise.all(Array.from({ length: perFamily }, make));
  const [bcrypt, argon2id] = await Promise.all([
    times(() => encodeBcryptPhp(password)),
    times(() => encodeArgon2idPhp(password)),
  ]);
  return {
    bcrypt,
    argon2id,
    django_pbkdf2_sha256: await times(() => encodeDjangoPbkdf2(password)),
    ldap_ssha: await times(() => encodeLdapSsha(password)),
    aspnet_identity_v3: await times(() => encodeAspNetIdentityV3(password)),
    phpass: [exportedSamples.phpass!],
    sha512_crypt: [exportedSamples.sha512_crypt!],
    apr1: [exportedSamples.apr1!],
    django_bcrypt_sha256: [exportedSamples.django_bcrypt_sha256!],
    md5_crypt: [exportedSamples.md5_crypt!],
  };
}
