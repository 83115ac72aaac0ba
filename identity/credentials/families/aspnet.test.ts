import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aspnetFamilies } from './aspnet.ts';

const [v2, v3] = aspnetFamilies as [(typeof aspnetFamilies)[number], (typeof aspnetFamilies)[number]];

// dotnet/aspnetcore src/Identity/test/Identity.Test/PasswordHasherTest.cs: every vector is "my password".
const MY_PASSWORD = 'my password';
const ASPNET_V2 = [
  // HashPassword_Version2 (salt 00 01 … 0f from the test's sequential RNG).
  'AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==',
  // VerifyHashedPassword_Version2CompatMode_SuccessCases: SHA1, 1000 iterations, 128-bit salt, 256-bit subkey.
  'ANXrDknc7fGPpigibZXXZFMX4aoqz44JveK6jQuwY3eH/UyPhvr5xTPeGYEckLxz9A==',
];
const ASPNET_V3 = [
  // HashPassword_Version3: SHA256, 10,000 iterations, salt 00 01 … 0f.
  {
    encoded: 'AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==',
    iterations: 10_000,
  },
  // VerifyHashedPassword_*_SuccessCases:
  // SHA512, 50 iterations, 128-bit salt, 128-bit subkey.
  { encoded: 'AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw', iterations: 50 },
  // SHA512, 250 iterations, 256-bit salt, 512-bit subkey.
  {
    encoded:
      'AQAAAAIAAAD6AAAAIJbVi5wbMR+htSfFp8fTw8N8GOS/Sje+S/4YZcgBfU7EQuqv4OkVYmc4VJl9AGZzmRTxSkP7LtVi9IWyUxX8IAAfZ8v+ZfhjCcudtC1YERSqE1OEdXLW9VukPuJWBBjLuw==',
    iterations: 250,
  },
  // SHA1, 250 iterations, 128-bit salt, 128-bit subkey.
  { encoded: 'AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M', iterations: 250 },
  // SHA256, 250,000 iterations, 256-bit salt, 256-bit subkey.
  {
    encoded:
      'AQAAAAEAA9CQAAAAIESkQuj2Du8Y+kbc5lcN/W/3NiAZFEm11P27nrSN5/tId+bR1SwV8CO1Jd72r4C08OLvplNlCDc3oQZ8efcW+jQ=',
    iterations: 250_000,
  },
];

// The sample legacy export's row (identity/demo/legacy-hashes.ts documents DEMO_PASSWORD).
const SAMPLE_EXPORT_V3 =
  'AQAAAAEAACcQAAAAEGMDtxP0y+JYXbIHL7mNgnnsjuUfPk0ASzOr59+MLC+0CGxPnUs5v4+glewI1DTPQQ==';
const SAMPLE_PASSWORD = 'Sunrise-Clinic-2019';

/** An independent v3 encoder: 0x01, PRF, iterations, salt length (uint32 BE), salt, subkey. */
function encodeV3(
  password: string,
  { prf = 1, iterations = 1_000, salt = randomBytes(16), subkeyLength = 32 } = {},
): string {
  const digest = ['sha1', 'sha256', 'sha512'][prf] ?? 'sha256';
  const header = Buffer.alloc(13);
  header.writeUInt8(0x01, 0);
  header.writeUInt32BE(prf, 1);
  header.writeUInt32BE(iterations, 5);
  header.writeUInt32BE(salt.length, 9);
  return Buffer.concat([header, salt, pbkdf2Sync(password, salt, iterations, subkeyLength, digest)]).toString(
    'base64',
  );
}

/** A raw v3 blob with arbitrary header fields, for malformed and out-of-bounds cases. */
function rawV3(prf: number, iterations: number, saltLength: number, body: Buffer): string {
  const header = Buffer.alloc(13);
  header.writeUInt8(0x01, 0);
  header.writeUInt32BE(prf, 1);
  header.writeUInt32BE(iterations, 5);
  header.writeUInt32BE(saltLength, 9);
  return Buffer.concat([header, body]).toString('base64');
}

function encodeV2(password: string, salt = randomBytes(16)): string {
  return Buffer.concat([Buffer.from([0]), salt, pbkdf2Sync(password, salt, 1_000, 32, 'sha1')]).toString(
    'base64',
  );
}

describe('aspnet_identity_v2', () => {
  it.each(ASPNET_V2)('verifies ASP.NET Core’s own vector %s', async (encoded) => {
    expect(v2.matches(encoded)).toBe(true);
    expect(v3.matches(encoded)).toBe(false);
    expect(v2.parse(encoded)).toEqual({
      ok: true,
      family: 'aspnet_identity_v2',
      cost: { iterations: 1_000, saltBytes: 16, subkeyBytes: 32 },
    });
    await expect(v2.verify(encoded, MY_PASSWORD)).resolves.toBe(true);
    await expect(v2.verify(encoded, 'my passwore')).resolves.toBe(false);
  });

  it('verifies a hash generated independently with node:crypto', async () => {
    const encoded = encodeV2('Grüße, 世界!');
    expect(v2.matches(encoded)).toBe(true);
    await expect(v2.verify(encoded, 'Grüße, 世界!')).resolves.toBe(true);
    await expect(v2.verify(encoded, 'Grusse, 世界!')).resolves.toBe(false);
  });

  it('fails ASP.NET Core’s own failure cases cleanly', async () => {
    // VerifyHashedPassword_FailureCases: incorrect password (right shape, wrong subkey).
    const incorrect = 'AAABAgMEBQYHCAkKCwwNDg+uAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALtH1uJg==';
    expect(v2.parse(incorrect).ok).toBe(true);
    await expect(v2.verify(incorrect, MY_PASSWORD)).resolves.toBe(false);
    // Too short, and extra data at the end: not 49 bytes, so not claimed and malformed if parsed.
    for (const encoded of [
      'AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggE=',
      'AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJgAAAAAAAAAAAAA=',
    ]) {
      expect(v2.matches(encoded)).toBe(false);
      expect(v2.parse(encoded)).toMatchObject({ ok: false, reason: 'malformed_hash' });
      await expect(v2.verify(encoded, MY_PASSWORD)).resolves.toBe(false);
    }
  });

  it('does not claim arbitrary base64', () => {
    for (const encoded of [
      'aGVsbG8gd29ybGQ=',
      Buffer.concat([Buffer.from([1]), randomBytes(48)]).toString('base64'),
      randomBytes(48).toString('base64'),
      '',
    ]) {
      expect(v2.matches(encoded)).toBe(false);
    }
  });
});

describe('aspnet_identity_v3', () => {
  it.each(ASPNET_V3)('verifies ASP.NET Core’s own vector $encoded', async ({ encoded, iterations }) => {
    expect(v3.matches(encoded)).toBe(true);
    expect(v2.matches(encoded)).toBe(false);
    expect(v3.parse(encoded)).toMatchObject({ ok: true, family: 'aspnet_identity_v3', cost: { iterations } });
    await expect(v3.verify(encoded, MY_PASSWORD)).resolves.toBe(true);
    await expect(v3.verify(encoded, 'My password')).resolves.toBe(false);
  });

  it('verifies the sample export’s hash', async () => {
    expect(v3.matches(SAMPLE_EXPORT_V3)).toBe(true);
    expect(v3.parse(SAMPLE_EXPORT_V3)).toEqual({
      ok: true,
      family: 'aspnet_identity_v3',
      cost: { iterations: 10_000, saltBytes: 16, subkeyBytes: 32 },
    });
    await expect(v3.verify(SAMPLE_EXPORT_V3, SAMPLE_PASSWORD)).resolves.toBe(true);
    await expect(v3.verify(SAMPLE_EXPORT_V3, 'Sunrise-Clinic-2020')).resolves.toBe(false);
    await expect(v3.verify(SAMPLE_EXPORT_V3, '')).resolves.toBe(false);
  });

  it.each([
    { prf: 0, iterations: 1_000, subkeyLength: 20 },
    { prf: 1, iterations: 2_000, subkeyLength: 32 },
    { prf: 2, iterations: 500, subkeyLength: 64 },
    { prf: 1, iterations: 100, subkeyLength: 16, salt: randomBytes(64) },
  ])('verifies a hash generated independently with node:crypto (%o)', async (options) => {
    const encoded = encodeV3('correct horse', options);
    expect(v3.matches(encoded)).toBe(true);
    expect(v3.parse(encoded)).toMatchObject({ ok: true, cost: { iterations: options.iterations } });
    await expect(v3.verify(encoded, 'correct horse')).resolves.toBe(true);
    await expect(v3.verify(encoded, 'correct horsf')).resolves.toBe(false);
  });

  it('fails ASP.NET Core’s own failure cases cleanly', async () => {
    // Incorrect password: well formed, wrong subkey.
    const incorrect = 'AQAAAAAAAAD6AAAAEAhftMyfTJyAAAAAAAAAAAAAAAAAAAih5WsjXaR3PA9M';
    expect(v3.parse(incorrect).ok).toBe(true);
    await expect(v3.verify(incorrect, MY_PASSWORD)).resolves.toBe(false);
    // Too short: a 3-byte subkey.
    const tooShort = 'AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4A=';
    expect(v3.parse(tooShort)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(v3.verify(tooShort, MY_PASSWORD)).resolves.toBe(false);
    // Extra data at the end: a 25-byte "subkey" that derives differently.
    const extra = 'AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHwAAAAAAAAAAAA';
    await expect(v3.verify(extra, MY_PASSWORD)).resolves.toBe(false);
  });

  it('refuses truncated, malformed and wrong-base64 input without throwing', async () => {
    const good = encodeV3('pw');
    const cases = [
      good.slice(0, 20),
      good.slice(0, -1),
      `${good.slice(0, 10)}*${good.slice(11)}`,
      `${good} `,
      good.replace(/=+$/, ''),
      rawV3(3, 1_000, 16, randomBytes(48)), // unknown PRF
      rawV3(1, 1_000, 8, randomBytes(40)), // salt under 128 bits
      rawV3(1, 1_000, 0xffff_ffff, randomBytes(48)), // salt longer than the blob
      rawV3(1, 1_000, 16, randomBytes(20)), // subkey of 4 bytes
      Buffer.from([1, 0, 0]).toString('base64'), // header cut short
      'AQ==',
      '',
    ];
    for (const encoded of cases) {
      const outcome = v3.parse(encoded);
      expect(outcome.ok, encoded).toBe(false);
      if (!outcome.ok) expect(['malformed_hash', 'unknown_hash_format']).toContain(outcome.reason);
      await expect(v3.verify(encoded, 'pw')).resolves.toBe(false);
    }
    expect(v3.parse(rawV3(3, 1_000, 16, randomBytes(48)))).toMatchObject({ reason: 'malformed_hash' });
    // PBKDF2's shorter output is a prefix of its longer one, so a blob cut back to a 31-byte subkey still
    // verifies, exactly as in ASP.NET (which also only insists on 16 bytes); a changed byte does not.
    await expect(v3.verify(good.slice(0, -4), 'pw')).resolves.toBe(true);
    const blob = Buffer.from(good, 'base64');
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 1;
    await expect(v3.verify(blob.toString('base64'), 'pw')).resolves.toBe(false);
  });

  it('refuses out-of-bounds iteration counts without hashing (never hangs)', async () => {
    for (const iterations of [0, 1_500_001, 0xffff_ffff]) {
      const encoded = rawV3(1, iterations, 16, randomBytes(48));
      expect(v3.matches(encoded)).toBe(true);
      expect(v3.parse(encoded)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
      await expect(v3.verify(encoded, 'pw')).resolves.toBe(false);
    }
    // A long subkey multiplies PBKDF2's work: 1,000,000 iterations × 4 SHA-1 blocks.
    const long = rawV3(0, 1_000_000, 16, randomBytes(80));
    expect(v3.parse(long)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
    await expect(v3.verify(long, 'pw')).resolves.toBe(false);
  });

  it('refuses a 100 kB input and an oversized password', async () => {
    const huge = `AQAAAAEAACcQ${'A'.repeat(100_000)}`;
    for (const family of [v2, v3]) {
      expect(family.matches(huge)).toBe(false);
      expect(family.parse(huge)).toMatchObject({ ok: false, reason: 'malformed_hash' });
      await expect(family.verify(huge, 'pw')).resolves.toBe(false);
    }
    const encoded = encodeV3('x'.repeat(1_025), { iterations: 10 });
    await expect(v3.verify(encoded, 'x'.repeat(1_025))).resolves.toBe(false);
  });

  it('does not claim arbitrary base64 or other families’ encodings', () => {
    for (const encoded of [
      'aGVsbG8gd29ybGQ=',
      Buffer.concat([Buffer.from([1, 0, 0, 0, 7]), randomBytes(60)]).toString('base64'), // PRF 7
      randomBytes(61).toString('base64'),
      '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K',
      '{SSHA}qmbjVB0vdoCqkakhLG1d1kxwQl5zk/Nw',
      '',
    ]) {
      expect(v3.matches(encoded)).toBe(false);
    }
  });
});
