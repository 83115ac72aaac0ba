import { createHash, createHmac, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { auth0Families } from './auth0.ts';

const [auth0] = auth0Families as [(typeof auth0Families)[number]];

const json = (value: unknown) => JSON.stringify(value);

/** Whether this Node/OpenSSL build can compute a digest at all (OpenSSL 3 hides MD4 and Whirlpool). */
function available(digest: string): boolean {
  try {
    createHash(digest);
    return true;
  } catch {
    return false;
  }
}

// Auth0 docs, "Bulk User Import Database Schema and Examples" (auth0/docs-v2
// main/docs/manage-users/user-migration/bulk-user-import-database-schema-and-examples.mdx).
const DOCS = {
  // Schema text for salt.position: MD5('salt' + 'password') = '67A1E09BB1F83F5007DC119C14D663AA'.
  md5Prefix: {
    algorithm: 'md5',
    hash: { value: '67A1E09BB1F83F5007DC119C14D663AA', encoding: 'hex' },
    salt: { value: 'salt', position: 'prefix' },
  },
  // bcrypt section: "generated from the string `hello` using a cost parameter of 10".
  bcryptHello: {
    algorithm: 'bcrypt',
    hash: { value: '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K' },
  },
  // The custom password hash examples. The page gives no passwords; the scrypt example's is "password"
  // and the hmac example's "test" (found by trying common passwords); the others stay unknown.
  scrypt: {
    algorithm: 'scrypt',
    hash: { value: '097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29', encoding: 'hex' },
    salt: { value: 'abc123', encoding: 'utf8' },
    keylen: 32,
    cost: 4096,
  },
  hmac: {
    algorithm: 'hmac',
    hash: {
      value: 'cg7f42jH39/2EaAU4wNd4s2lKIk=',
      encoding: 'base64',
      digest: 'sha1',
      key: { value: '736868', encoding: 'hex' },
    },
  },
  md4: { algorithm: 'md4', hash: { value: 'AbuUujgF0pPPkJPSFRTpmA==', encoding: 'base64' } },
  sha256: {
    algorithm: 'sha256',
    hash: { value: 'd24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f', encoding: 'hex' },
    salt: { value: 'abc123', position: 'prefix' },
  },
  bcrypt: {
    algorithm: 'bcrypt',
    hash: { value: '$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG' },
  },
  argon2: {
    algorithm: 'argon2',
    hash: {
      value:
        '$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos',
    },
  },
  pbkdf2Md4: {
    algorithm: 'pbkdf2',
    hash: {
      value:
        '$pbkdf2-md4$i=100000,l=64$+N375B8q0Fw$fp2R9KAM4hK/votGHC5Fu+jhqbxUD8+Nic/EMSGvNC3UP/k7wSHI0uXluHRSkZfl/BOheYqNOemayG90ZaSSQw',
      encoding: 'utf8',
    },
  },
  pbkdf2Sha512: {
    algorithm: 'pbkdf2',
    hash: {
      value:
        '$pbkdf2-sha512$i=100000,l=64$KNyFsA2rWoE$I2CQGI9H0JxdDf3kERRI97kPCGxh0KWBIV3MxyaS191gDGfzVBGyS4BibhgqWQ0/ails8mHuU9ckASxHOOq58w',
    },
  },
  ldap: {
    algorithm: 'ldap',
    hash: {
      value: '{SSHA384}/cgEjdoZh85DhurDeOQEMO1rMlAur93SVPbYe5XSD4lF7nNuvrBju5hUeg9A6agRemgSXGl5YuE=',
      encoding: 'utf8',
    },
  },
};

describe('auth0_custom: Auth0’s documented examples', () => {
  it.each([
    ['md5 with a prefix salt (upper-case hex)', DOCS.md5Prefix, 'password'],
    ['bcrypt', DOCS.bcryptHello, 'hello'],
    ['scrypt', DOCS.scrypt, 'password'],
    ['hmac-sha1 with a hex key', DOCS.hmac, 'test'],
  ])('verifies the %s example', async (_name, spec, password) => {
    const encoded = json(spec);
    expect(auth0.matches(encoded)).toBe(true);
    expect(auth0.parse(encoded)).toMatchObject({ ok: true, family: 'auth0_custom' });
    await expect(auth0.verify(encoded, password)).resolves.toBe(true);
    await expect(auth0.verify(encoded, `${password}!`)).resolves.toBe(false);
  });

  it('parses the examples whose passwords the docs do not give, and rejects a wrong password', async () => {
    const expectedCosts = [
      [DOCS.sha256, {}],
      [DOCS.bcrypt, { cost: 10 }],
      [DOCS.argon2, { memoryKiB: 65_536, time: 2, parallelism: 1 }],
      [DOCS.pbkdf2Sha512, { iterations: 100_000, keyLength: 64 }],
      [DOCS.ldap, {}],
    ] as const;
    for (const [spec, cost] of expectedCosts) {
      const encoded = json(spec);
      expect(auth0.matches(encoded)).toBe(true);
      expect(auth0.parse(encoded)).toEqual({ ok: true, family: 'auth0_custom', cost });
      await expect(auth0.verify(encoded, 'not the password')).resolves.toBe(false);
    }
    expect(auth0.parse(json(DOCS.scrypt))).toEqual({
      ok: true,
      family: 'auth0_custom',
      cost: { N: 4096, r: 8, p: 1, keylen: 32 },
    });
  });

  it('reports MD4 as an unknown format when OpenSSL cannot compute it', async () => {
    for (const spec of [DOCS.md4, DOCS.pbkdf2Md4]) {
      const encoded = json(spec);
      expect(auth0.matches(encoded)).toBe(true);
      if (available('md4')) {
        expect(auth0.parse(encoded).ok).toBe(true);
      } else {
        expect(auth0.parse(encoded)).toMatchObject({
          ok: false,
          reason: 'unknown_hash_format',
          detail: expect.stringContaining('md4 is unavailable'),
        });
        await expect(auth0.verify(encoded, 'password')).resolves.toBe(false);
      }
    }
  });
});

describe('auth0_custom: hashes generated independently with node:crypto, bcrypt and argon2', () => {
  const password = 'Grüße 世界 2019';

  it.each([
    { digest: 'md5', encoding: 'hex', position: 'prefix', saltEncoding: 'utf8' },
    { digest: 'sha1', encoding: 'base64', position: 'suffix', saltEncoding: 'hex' },
    { digest: 'sha256', encoding: 'base64', position: 'prefix', saltEncoding: 'base64' },
    { digest: 'sha512', encoding: 'hex', position: 'suffix', saltEncoding: 'utf8' },
  ] as const)(
    'verifies salted $digest ($encoding, $position salt)',
    async ({ digest, encoding, position, saltEncoding }) => {
      const salt = saltEncoding === 'utf8' ? Buffer.from('NaCl-42') : randomBytes(12);
      const pw = Buffer.from(password, 'utf8');
      const input = position === 'prefix' ? Buffer.concat([salt, pw]) : Buffer.concat([pw, salt]);
      const encoded = json({
        algorithm: digest,
        hash: { value: createHash(digest).update(input).digest(encoding), encoding },
        salt: { value: salt.toString(saltEncoding), encoding: saltEncoding, position },
      });
      await expect(auth0.verify(encoded, password)).resolves.toBe(true);
      await expect(auth0.verify(encoded, password.toUpperCase())).resolves.toBe(false);
    },
  );

  it('verifies unsalted digests, URL-safe base64 and the password encodings Auth0 lists', async () => {
    const unsalted = json({
      algorithm: 'sha1',
      hash: { value: createHash('sha1').update(password).digest('hex'), encoding: 'hex' },
    });
    await expect(auth0.verify(unsalted, password)).resolves.toBe(true);

    const urlSafe = json({
      algorithm: 'sha512',
      hash: { value: createHash('sha512').update(password).digest('base64url'), encoding: 'base64' },
    });
    await expect(auth0.verify(urlSafe, password)).resolves.toBe(true);

    for (const encoding of ['utf16le', 'ucs2', 'latin1', 'binary', 'ascii'] as const) {
      const text = 'Café-2019';
      const encoded = json({
        algorithm: 'sha256',
        hash: {
          value: createHash('sha256').update(Buffer.from(text, encoding)).digest('hex'),
          encoding: 'hex',
        },
        password: { encoding },
      });
      await expect(auth0.verify(encoded, text), encoding).resolves.toBe(true);
      if (encoding !== 'ascii' && encoding !== 'latin1' && encoding !== 'binary') {
        // The UTF-8 digest is a different hash.
        await expect(
          auth0.verify(json({ ...JSON.parse(encoded), password: { encoding: 'utf8' } }), text),
        ).resolves.toBe(false);
      }
    }
  });

  it('verifies hmac with each key encoding and a salt', async () => {
    const key = randomBytes(24);
    for (const keyEncoding of ['hex', 'base64', 'utf8'] as const) {
      const keyValue = keyEncoding === 'utf8' ? 'project-secret' : key.toString(keyEncoding);
      const keyBytes = keyEncoding === 'utf8' ? Buffer.from('project-secret') : key;
      const encoded = json({
        algorithm: 'hmac',
        hash: {
          value: createHmac('sha256', keyBytes).update(`pepper${password}`).digest('base64'),
          encoding: 'base64',
          digest: 'sha256',
          key: { value: keyValue, encoding: keyEncoding },
        },
        salt: { value: 'pepper', position: 'prefix' },
      });
      await expect(auth0.verify(encoded, password), keyEncoding).resolves.toBe(true);
      await expect(auth0.verify(encoded, 'wrong')).resolves.toBe(false);
    }
    const ripemd = json({
      algorithm: 'hmac',
      hash: {
        value: createHmac('ripemd160', 'k').update(password).digest('hex'),
        encoding: 'hex',
        digest: 'ripemd160',
        key: { value: 'k' },
      },
    });
    await expect(auth0.verify(ripemd, password)).resolves.toBe(true);
  });

  it('verifies pbkdf2 PHC strings, with and without explicit parameters', async () => {
    const salt = randomBytes(16);
    const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
    const explicit = json({
      algorithm: 'pbkdf2',
      hash: {
        value: `$pbkdf2-sha256$i=2000,l=32$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 2000, 32, 'sha256'))}`,
        encoding: 'utf8',
      },
    });
    expect(auth0.parse(explicit)).toEqual({
      ok: true,
      family: 'auth0_custom',
      cost: { iterations: 2000, keyLength: 32 },
    });
    await expect(auth0.verify(explicit, password)).resolves.toBe(true);
    await expect(auth0.verify(explicit, 'wrong')).resolves.toBe(false);

    // Auth0's defaults: i=100000, l=64; the OpenSSL alias RSA-SHA1 is sha1.
    const defaults = json({
      algorithm: 'pbkdf2',
      hash: {
        value: `$pbkdf2-RSA-SHA1$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 100_000, 64, 'sha1'))}`,
      },
    });
    expect(auth0.parse(defaults)).toEqual({
      ok: true,
      family: 'auth0_custom',
      cost: { iterations: 100_000, keyLength: 64 },
    });
    await expect(auth0.verify(defaults, password)).resolves.toBe(true);
  });

  it('verifies scrypt with explicit blockSize and parallelization', async () => {
    const salt = randomBytes(16);
    const derived = scryptSync(password, salt, 48, { N: 1024, r: 4, p: 2 });
    const encoded = json({
      algorithm: 'scrypt',
      hash: { value: derived.toString('base64'), encoding: 'base64' },
      salt: { value: salt.toString('hex'), encoding: 'hex' },
      keylen: 48,
      cost: 1024,
      blockSize: 4,
      parallelization: 2,
    });
    expect(auth0.parse(encoded)).toEqual({
      ok: true,
      family: 'auth0_custom',
      cost: { N: 1024, r: 4, p: 2, keylen: 48 },
    });
    await expect(auth0.verify(encoded, password)).resolves.toBe(true);
    await expect(auth0.verify(encoded, 'wrong')).resolves.toBe(false);
  });

  it('verifies bcrypt ($2a$, $2b$, PHP’s $2y$, and a salted input)', async () => {
    const hashed = await bcrypt.hash(password, 4);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const encoded = json({
        algorithm: 'bcrypt',
        hash: { value: prefix + hashed.slice(4), encoding: 'utf8' },
      });
      await expect(auth0.verify(encoded, password), prefix).resolves.toBe(true);
      await expect(auth0.verify(encoded, 'wrong')).resolves.toBe(false);
    }
    const salted = json({
      algorithm: 'bcrypt',
      hash: { value: await bcrypt.hash(`${password}::s4lt`, 4) },
      salt: { value: '::s4lt', position: 'suffix' },
    });
    await expect(auth0.verify(salted, password)).resolves.toBe(true);
  });

  it('verifies argon2 PHC strings', async () => {
    for (const algorithm of [0, 1, 2] as const) {
      const value = await argon2Hash(password, { algorithm, memoryCost: 1024, timeCost: 1, parallelism: 1 });
      const encoded = json({ algorithm: 'argon2', hash: { value } });
      await expect(auth0.verify(encoded, password), value).resolves.toBe(true);
      await expect(auth0.verify(encoded, 'wrong')).resolves.toBe(false);
    }
  });

  it('verifies LDAP schemes, salted and unsalted', async () => {
    const salt = randomBytes(8);
    const cases = [
      ['{SHA}', createHash('sha1').update(password).digest()],
      ['{SSHA}', Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt])],
      ['{MD5}', createHash('md5').update(password).digest()],
      ['{SMD5}', Buffer.concat([createHash('md5').update(password).update(salt).digest(), salt])],
      ['{SSHA256}', Buffer.concat([createHash('sha256').update(password).update(salt).digest(), salt])],
      ['{ssha512}', Buffer.concat([createHash('sha512').update(password).update(salt).digest(), salt])],
      ['{SHA384}', createHash('sha384').update(password).digest()],
    ] as const;
    for (const [scheme, bytes] of cases) {
      const encoded = json({
        algorithm: 'ldap',
        hash: { value: scheme + bytes.toString('base64'), encoding: 'utf8' },
      });
      await expect(auth0.verify(encoded, password), scheme).resolves.toBe(true);
      await expect(auth0.verify(encoded, 'wrong')).resolves.toBe(false);
    }
  });
});

describe('auth0_custom: refusals', () => {
  const md5 = {
    algorithm: 'md5',
    hash: { value: createHash('md5').update('pw').digest('hex'), encoding: 'hex' },
  };

  it('claims only JSON objects with an algorithm Auth0 documents', () => {
    for (const encoded of [
      'not json',
      '[]',
      '"md5"',
      '{"algorithm":"md5"',
      json({ algorithm: 'crc32', hash: { value: 'x' } }),
      json({ algorithm: 'MD5', hash: { value: 'x' } }),
      json({ hash: { value: 'x' } }),
      '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K',
      'AQAAAAEAACcQAAAAEGMDtxP0y+JYXbIHL7mNgnnsjuUfPk0ASzOr59+MLC+0CGxPnUs5v4+glewI1DTPQQ==',
    ]) {
      expect(auth0.matches(encoded), encoded).toBe(false);
    }
    expect(auth0.parse(json({ algorithm: 'crc32', hash: { value: 'x' } }))).toMatchObject({
      ok: false,
      reason: 'unknown_hash_format',
    });
    expect(auth0.parse('not json')).toMatchObject({ ok: false, reason: 'malformed_hash' });
  });

  it('refuses malformed objects without throwing', async () => {
    const cases: unknown[] = [
      { algorithm: 'md5' },
      { algorithm: 'md5', hash: createHash('md5').update('pw').digest('hex') }, // Auth0's older flat schema
      { ...md5, hash: { value: md5.hash.value } }, // no encoding
      { ...md5, hash: { value: md5.hash.value, encoding: 'utf8' } },
      { ...md5, hash: { value: `${md5.hash.value.slice(0, -1)}g`, encoding: 'hex' } },
      { ...md5, hash: { value: md5.hash.value.slice(0, -2), encoding: 'hex' } }, // truncated
      { ...md5, hash: { value: md5.hash.value.slice(0, -1), encoding: 'hex' } }, // odd length
      { ...md5, hash: { value: 'ab$cd==', encoding: 'base64' } },
      { ...md5, hash: { value: 7, encoding: 'hex' } },
      { ...md5, extra: true },
      { ...md5, salt: 'abc' },
      { ...md5, salt: { value: 'abc', position: 'middle' } },
      { ...md5, salt: { value: 'zz', encoding: 'hex' } },
      { ...md5, password: { encoding: 'ebcdic' } },
      { ...DOCS.hmac, hash: { ...DOCS.hmac.hash, key: undefined } },
      { ...DOCS.hmac, hash: { ...DOCS.hmac.hash, digest: undefined } },
      { ...DOCS.pbkdf2Sha512, salt: { value: 'abc' } },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=1000,l=32$c2FsdA' } },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=1000,l=16$c2FsdA$c2FsdA' } }, // l ≠ hash length
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=1000,x=1$c2FsdA$c2FsdA' } },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=1000,l=4$c2F*dA$c2FsdA' } },
      { ...DOCS.pbkdf2Sha512, hash: { value: DOCS.pbkdf2Sha512.hash.value, encoding: 'base64' } },
      { algorithm: 'bcrypt', hash: { value: '$2b$10$short' } },
      { algorithm: 'bcrypt', hash: { value: DOCS.bcryptHello.hash.value.slice(0, -1) } },
      { algorithm: 'argon2', hash: { value: '$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg' } },
      {
        algorithm: 'argon2',
        hash: { value: '$argon2id$v=20$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8' },
      },
      { algorithm: 'argon2', hash: { value: '$argon2id$v=19$m=4,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8' } },
      { ...DOCS.argon2, salt: { value: 'x' } },
      { algorithm: 'ldap', hash: { value: 'SSHA}abc' } },
      { algorithm: 'ldap', hash: { value: '{SSHA}c2hvcnQ=' } }, // shorter than a SHA-1 digest
      { algorithm: 'ldap', hash: { value: '{SHA}!!!!' } },
      { ...DOCS.ldap, salt: { value: 'x' } },
      { ...DOCS.scrypt, keylen: undefined },
      { ...DOCS.scrypt, keylen: 16 },
      { ...DOCS.scrypt, keylen: '32' },
      { ...DOCS.scrypt, cost: 1000 },
      { ...DOCS.scrypt, cost: 1 },
      { ...DOCS.scrypt, blockSize: 0 },
      { ...DOCS.scrypt, hash: { value: DOCS.scrypt.hash.value, encoding: 'utf8' } },
    ];
    for (const spec of cases) {
      const encoded = json(spec);
      expect(auth0.parse(encoded), encoded).toMatchObject({ ok: false, reason: 'malformed_hash' });
      await expect(auth0.verify(encoded, 'pw'), encoded).resolves.toBe(false);
    }
  });

  it('reports unsupported schemes and digests as unknown formats', async () => {
    const cases: unknown[] = [
      { algorithm: 'ldap', hash: { value: '{CRYPT}$1$abc$def' } },
      { algorithm: 'ldap', hash: { value: '{SSHA1024}c2FsdA==' } },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-blake3$i=1000,l=4$c2FsdA$c2FsdA' } },
      { ...DOCS.hmac, hash: { ...DOCS.hmac.hash, digest: 'crc32' } },
      // Names that only exist on Object.prototype.
      { ...DOCS.hmac, hash: { ...DOCS.hmac.hash, digest: 'constructor' } },
      { algorithm: 'ldap', hash: { value: '{constructor}c2FsdA==' } },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-hasOwnProperty$i=1000,l=4$c2FsdA$c2FsdA' } },
    ];
    if (!available('whirlpool')) {
      cases.push({ ...DOCS.hmac, hash: { ...DOCS.hmac.hash, digest: 'whirlpool' } });
    }
    for (const spec of cases) {
      const encoded = json(spec);
      expect(auth0.parse(encoded), encoded).toMatchObject({ ok: false, reason: 'unknown_hash_format' });
      await expect(auth0.verify(encoded, 'pw')).resolves.toBe(false);
    }
  });

  it('refuses out-of-bounds costs without hashing (never hangs)', async () => {
    const cases: unknown[] = [
      { algorithm: 'bcrypt', hash: { value: `$2b$31$${DOCS.bcryptHello.hash.value.slice(7)}` } },
      { algorithm: 'bcrypt', hash: { value: `$2b$03$${DOCS.bcryptHello.hash.value.slice(7)}` } },
      {
        algorithm: 'argon2',
        hash: {
          value:
            '$argon2id$v=19$m=4194304,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos',
        },
      },
      {
        algorithm: 'argon2',
        hash: {
          value:
            '$argon2id$v=19$m=65536,t=1000,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos',
        },
      },
      {
        algorithm: 'argon2',
        hash: {
          value:
            '$argon2id$v=19$m=65536,t=2,p=64$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos',
        },
      },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=4294967295,l=4$c2FsdA$c2FsdA' } },
      { algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=0,l=4$c2FsdA$c2FsdA' } },
      // 1,000,000 iterations × 4 SHA-1 blocks.
      { algorithm: 'pbkdf2', hash: { value: `$pbkdf2-sha1$i=1000000,l=64$c2FsdA$${'A'.repeat(85)}w` } },
      { ...DOCS.scrypt, cost: 2 ** 20 },
      { ...DOCS.scrypt, blockSize: 64 },
      { ...DOCS.scrypt, parallelization: 1000 },
    ];
    for (const spec of cases) {
      const encoded = json(spec);
      expect(auth0.parse(encoded), encoded).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
      await expect(auth0.verify(encoded, 'pw')).resolves.toBe(false);
    }
  });

  it('refuses a 100 kB input and an oversized password', async () => {
    const huge = json({ algorithm: 'md5', hash: { value: 'a'.repeat(100_000), encoding: 'hex' } });
    expect(auth0.matches(huge)).toBe(false);
    expect(auth0.parse(huge)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(auth0.verify(huge, 'pw')).resolves.toBe(false);
    const long = 'x'.repeat(1_025);
    const encoded = json({
      algorithm: 'md5',
      hash: { value: createHash('md5').update(long).digest('hex'), encoding: 'hex' },
    });
    expect(auth0.parse(encoded).ok).toBe(true);
    await expect(auth0.verify(encoded, long)).resolves.toBe(false);
  });

  it('never echoes hash, salt or key values in its details', () => {
    const secret = 'c2VjcmV0LXNhbHQtdmFsdWU';
    const outcome = auth0.parse(
      json({ algorithm: 'sha1', hash: { value: `${secret}!`, encoding: 'base64' }, salt: { value: secret } }),
    );
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.detail).not.toContain(secret);
    const bad = auth0.parse(`{"algorithm":"md5","hash":{"value":"${secret}"`);
    if (!bad.ok) expect(bad.detail).not.toContain(secret);
  });
});
