// Every legacy password family Causeway reads, and the detector that picks one by the encoding's shape.
import { bounds } from './bounds.ts';
import { argon2Families } from './families/argon2.ts';
import { aspnetFamilies } from './families/aspnet.ts';
import { auth0Families } from './families/auth0.ts';
import { bcryptFamilies } from './families/bcrypt.ts';
import { cryptFamilies } from './families/crypt.ts';
import { djangoFamilies } from './families/django.ts';
import { firebaseFamilies } from './families/firebase.ts';
import { ldapFamilies } from './families/ldap.ts';
import { phcFamilies } from './families/phc.ts';
import { phpassFamilies } from './families/phpass.ts';
import type { HashFamily, HashParams, ParseOutcome } from './types.ts';

export type { CredentialFailure, HashFamily, HashParams, ParseOutcome } from './types.ts';
export { bounds } from './bounds.ts';

// Most specific shapes first: JSON objects and `$`-prefixed encodings before bare base64 (ASP.NET),
// and Firebase (recognised only by its parameters) before ASP.NET too.
export const hashFamilies: readonly HashFamily[] = [
  ...auth0Families,
  ...bcryptFamilies,
  ...argon2Families,
  ...djangoFamilies,
  ...phcFamilies,
  ...cryptFamilies,
  ...phpassFamilies,
  ...ldapFamilies,
  ...firebaseFamilies,
  ...aspnetFamilies,
];

const byName = new Map(hashFamilies.map((family) => [family.name, family]));

export function familyNamed(name: string): HashFamily | undefined {
  return byName.get(name);
}

/** Recognises an encoded hash by its shape, validates it and bounds its cost; never hashes, never throws. */
export function detectHash(encoded: string, params?: HashParams): ParseOutcome {
  if (encoded.length > bounds.maxEncodedLength) {
    return {
      ok: false,
      reason: 'malformed_hash',
      detail: `longer than ${bounds.maxEncodedLength} characters`,
    };
  }
  for (const family of hashFamilies) {
    let matches = false;
    try {
      matches = family.matches(encoded, params);
    } catch {
      matches = false;
    }
    if (matches) return family.parse(encoded, params);
  }
  return { ok: false, reason: 'unknown_hash_format', detail: 'no known password hash format has this shape' };
}

/** Verifies a password against a stored hash of a named family; false for an unknown family. */
export async function verifyHash(
  familyName: string,
  encoded: string,
  password: string,
  params?: HashParams,
): Promise<boolean> {
  const family = byName.get(familyName);
  if (!family) return false;
  try {
    return await family.verify(encoded, password, params);
  } catch {
    return false;
  }
}
