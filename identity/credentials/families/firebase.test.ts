import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { firebaseFamilies } from './firebase.ts';

const [firebase] = firebaseFamilies as [(typeof firebaseFamilies)[number]];

// The sample in github.com/firebase/scrypt README.md: the project's hash_config and one exported row.
const README = {
  params: {
    signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
    saltSeparator: 'Bw==',
    rounds: 8,
    memCost: 14,
    salt: '42xEC+ixf3L2lw==',
  },
  password: 'user1password',
  hash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
};

/** The construction spelled out step by step with node:crypto's synchronous API, independent of firebase.ts. */
function firebaseHash(
  password: string,
  {
    salt,
    saltSeparator,
    signerKey,
    rounds,
    memCost,
  }: { salt: Buffer; saltSeparator: Buffer; signerKey: Buffer; rounds: number; memCost: number },
): Buffer {
  const derived = scryptSync(Buffer.from(password, 'utf8'), Buffer.concat([salt, saltSeparator]), 64, {
    N: 2 ** memCost,
    r: rounds,
    p: 1,
    maxmem: 64 * 1024 * 1024,
  });
  const cipher = createCipheriv('aes-256-ctr', derived.subarray(0, 32), Buffer.alloc(16, 0));
  return Buffer.concat([cipher.update(signerKey), cipher.final()]);
}

describe('firebase_scrypt', () => {
  it('verifies the Firebase scrypt README sample', async () => {
    expect(firebase.matches(README.hash, README.params)).toBe(true);
    expect(firebase.parse(README.hash, README.params)).toEqual({
      ok: true,
      family: 'firebase_scrypt',
      cost: { rounds: 8, memCost: 14 },
    });
    await expect(firebase.verify(README.hash, README.password, README.params)).resolves.toBe(true);
    await expect(firebase.verify(README.hash, 'user2password', README.params)).resolves.toBe(false);
    await expect(firebase.verify(README.hash, '', README.params)).resolves.toBe(false);
    // Each hash-config value matters.
    await expect(
      firebase.verify(README.hash, README.password, { ...README.params, saltSeparator: 'CA==' }),
    ).resolves.toBe(false);
    await expect(
      firebase.verify(README.hash, README.password, { ...README.params, rounds: 7 }),
    ).resolves.toBe(false);
  });

  it('agrees with the construction computed independently in the test', async () => {
    // Cross-check the README sample against the step-by-step construction first.
    const readme = firebaseHash(README.password, {
      salt: Buffer.from(README.params.salt, 'base64'),
      saltSeparator: Buffer.from(README.params.saltSeparator, 'base64'),
      signerKey: Buffer.from(README.params.signerKey, 'base64'),
      rounds: 8,
      memCost: 14,
    });
    expect(readme.toString('base64')).toBe(README.hash);

    const config = {
      salt: randomBytes(12),
      saltSeparator: randomBytes(1),
      signerKey: randomBytes(64),
      rounds: 4,
      memCost: 10,
    };
    const hash = firebaseHash('Pässwörd 🔑', config);
    const params = {
      salt: config.salt.toString('base64'),
      saltSeparator: config.saltSeparator.toString('base64'),
      signerKey: config.signerKey.toString('base64'),
      rounds: config.rounds,
      memCost: config.memCost,
    };
    await expect(firebase.verify(hash.toString('base64'), 'Pässwörd 🔑', params)).resolves.toBe(true);
    await expect(firebase.verify(hash.toString('base64'), 'Passwörd 🔑', params)).resolves.toBe(false);
    // The Admin SDK writes URL-safe base64 without padding; it decodes to the same bytes.
    const urlSafe = {
      ...params,
      salt: config.salt.toString('base64url'),
      signerKey: config.signerKey.toString('base64url'),
    };
    await expect(firebase.verify(hash.toString('base64url'), 'Pässwörd 🔑', urlSafe)).resolves.toBe(true);
    // An empty salt separator is still a separator.
    const noSeparator = firebaseHash('pw', { ...config, saltSeparator: Buffer.alloc(0) });
    await expect(
      firebase.verify(noSeparator.toString('base64'), 'pw', { ...params, saltSeparator: '' }),
    ).resolves.toBe(true);
  });

  it('claims a hash only when the hash config and salt come with it', () => {
    expect(firebase.matches(README.hash)).toBe(false);
    expect(firebase.matches(README.hash, {})).toBe(false);
    expect(firebase.matches(README.hash, { salt: README.params.salt })).toBe(false);
    expect(firebase.matches(README.hash, { signerKey: README.params.signerKey })).toBe(false);
    expect(firebase.matches(README.hash, { signerKey: '', salt: README.params.salt })).toBe(false);
    expect(
      firebase.matches(README.hash, { signerKey: README.params.signerKey, salt: README.params.salt }),
    ).toBe(true);
  });

  it('refuses truncated, malformed and wrong-base64 input without throwing', async () => {
    const cases: { encoded: string; params?: Record<string, unknown> }[] = [
      { encoded: README.hash.slice(0, 40) }, // truncated: shorter than the signer key
      { encoded: README.hash.slice(0, -1) },
      { encoded: `${README.hash.slice(0, 10)}*${README.hash.slice(11)}` },
      { encoded: `${README.hash} ` },
      { encoded: '' },
      { encoded: README.hash, params: { ...README.params, salt: '' } },
      { encoded: README.hash, params: { ...README.params, salt: '42xEC+ixf3L2lw==!' } },
      { encoded: README.hash, params: { ...README.params, signerKey: 'not base64!' } },
      { encoded: README.hash, params: { ...README.params, saltSeparator: undefined } },
      { encoded: README.hash, params: { ...README.params, rounds: '8' } },
      { encoded: README.hash, params: { ...README.params, memCost: 14.5 } },
      { encoded: README.hash, params: { ...README.params, memCost: Number.NaN } },
    ];
    for (const { encoded, params = README.params } of cases) {
      expect(firebase.parse(encoded, params)).toMatchObject({ ok: false, reason: 'malformed_hash' });
      await expect(firebase.verify(encoded, README.password, params)).resolves.toBe(false);
    }
    expect(firebase.parse(README.hash)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(firebase.verify(README.hash, README.password)).resolves.toBe(false);
  });

  it('refuses out-of-bounds cost parameters without hashing (never hangs)', async () => {
    for (const overrides of [
      { memCost: 18 },
      { memCost: 64 },
      { memCost: 0 },
      { rounds: 17 },
      { rounds: 0 },
      { rounds: 1_000_000 },
    ]) {
      const params = { ...README.params, ...overrides };
      expect(firebase.parse(README.hash, params)).toMatchObject({
        ok: false,
        reason: 'hash_params_out_of_bounds',
      });
      await expect(firebase.verify(README.hash, README.password, params)).resolves.toBe(false);
    }
  });

  it('refuses a 100 kB hash and an oversized password', async () => {
    const huge = 'A'.repeat(100_000);
    expect(firebase.parse(huge, README.params)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(firebase.verify(huge, README.password, README.params)).resolves.toBe(false);
    await expect(firebase.verify(README.hash, 'x'.repeat(1_025), README.params)).resolves.toBe(false);
  });
});
