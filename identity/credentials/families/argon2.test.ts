import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import type { HashFamily } from '../types.ts';
import { argon2Families } from './argon2.ts';

const named = (name: string) => argon2Families.find((family) => family.name === name) as HashFamily;
const argon2id = named('argon2id');
const argon2i = named('argon2i');
const familyFor = (encoded: string) => (encoded.startsWith('$argon2id$') ? argon2id : argon2i);

// passlib's test strings (tests/test_handlers.py).
const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';

describe('argon2 known answers', () => {
  const vectors: [source: string, password: string, encoded: string][] = [
    // The sample legacy export (PHP password_hash defaults).
    [
      'export',
      'Sunrise-Clinic-2019',
      '$argon2id$v=19$m=65536,t=4,p=1$b0ZQcFFjNzFwQkg2NTVzZg$s32fVbY9NsSOGgerG5gMfvhGbmzeK/TlRtnb5JPD1Pc',
    ],
    // Reference implementation, P-H-C/phc-winner-argon2 src/test.c (commit 5d4f755): Argon2i version
    // 0x10, written without `v=`, then version 0x13.
    [
      'test.c v1.0',
      'password',
      '$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ',
    ],
    [
      'test.c v1.0',
      'password',
      '$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY',
    ],
    [
      'test.c v1.0',
      'password',
      '$argon2i$m=256,t=2,p=2$c29tZXNhbHQ$tsEVYKap1h6scGt5ovl9aLRGOqOth+AMB+KwHpDFZPs',
    ],
    [
      'test.c v1.0',
      'password',
      '$argon2i$m=65536,t=2,p=1$ZGlmZnNhbHQ$eaEDuQ/orvhXDLMfyLIiWXeJFvgza3vaw4kladTxxJc',
    ],
    [
      'test.c v1.3',
      'password',
      '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA',
    ],
    [
      'test.c v1.3',
      'password',
      '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8',
    ],
    [
      'test.c v1.3',
      'password',
      '$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E',
    ],
    [
      'test.c v1.3',
      'differentpassword',
      '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4',
    ],
    // test.c's "mismatched password" case: the hash is of "passwore".
    [
      'test.c mismatch',
      'passwore',
      '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$8iIuixkI73Js3G1uMbezQXD0b8LG4SXGsOwoQkdAQIM',
    ],
    // Argon2id reference vectors from later test.c, via passlib tests/test_handlers_argon2.py.
    [
      'test.c id',
      'password',
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    ],
    [
      'test.c id',
      'password',
      '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    ],
    [
      'test.c id',
      'password',
      '$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc',
    ],
    [
      'test.c id',
      'password',
      '$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg',
    ],
    [
      'test.c id',
      'password',
      '$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw',
    ],
    // passlib custom vectors: 16-byte tags, odd m, UTF-8, and a trailing NUL kept as a byte.
    ['passlib', 'password', '$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A'],
    ['passlib', 'password', '$argon2i$v=19$m=380,t=2,p=2$c29tZXNhbHQ$SrssP8n7m/12VWPM8dvNrw'],
    ['passlib', UPASS_TABLE, '$argon2i$v=19$m=512,t=2,p=2$1sV0O4PWLtc12Ypv1f7oGw$z+yqzlKtrq3SaNfXDfIDnQ'],
    ['passlib', 'password\u0000', '$argon2i$v=19$m=512,t=2,p=2$c29tZXNhbHQ$Fb5+nPuLzZvtqKRwqUEtUQ'],
  ];

  it.each(vectors)('%s: %j verifies', async (_source, password, encoded) => {
    const family = familyFor(encoded);
    expect(family.matches(encoded)).toBe(true);
    expect(family.parse(encoded)).toMatchObject({ ok: true, family: family.name });
    await expect(family.verify(encoded, password)).resolves.toBe(true);
    await expect(family.verify(encoded, `${password}x`)).resolves.toBe(false);
  });

  it('reports the cost, reading a missing v= as version 0x10', () => {
    expect(argon2id.parse(vectors[0]?.[2] ?? '')).toEqual({
      ok: true,
      family: 'argon2id',
      cost: { m: 65536, t: 4, p: 1, v: 0x13 },
    });
    expect(
      argon2i.parse('$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY'),
    ).toEqual({
      ok: true,
      family: 'argon2i',
      cost: { m: 256, t: 2, p: 1, v: 0x10 },
    });
  });

  it('agrees with hashes @node-rs/argon2 encodes itself (its PHC writer, not our raw path)', async () => {
    for (const algorithm of [2, 1] as const) {
      const encoded = await argon2Hash('lètmein', {
        algorithm,
        memoryCost: 256,
        timeCost: 2,
        parallelism: 1,
      });
      const family = familyFor(encoded);
      await expect(family.verify(encoded, 'lètmein')).resolves.toBe(true);
      await expect(family.verify(encoded, 'letmein')).resolves.toBe(false);
    }
    // And the library's own verifier accepts the export's hash, so the vector itself is sound.
    await expect(argon2Verify(vectors[0]?.[2] ?? '', 'Sunrise-Clinic-2019')).resolves.toBe(true);
  });
});

describe('argon2 refusals', () => {
  it.each([
    // Reference test.c large-RAM vectors (1 GiB) and libsodium's "sensitive" 1 GiB / 4 GiB settings.
    '$argon2i$m=1048576,t=2,p=1$c29tZXNhbHQ$lpDsVdKNPtMlYvLnPqYrArAYdXZDoq5ueVKEWd6BBuk',
    '$argon2i$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$0Vh6ygkiw7XWqD7asxvuPE667zQu1hJ6VdGbI1GtH0E',
    '$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    '$argon2id$v=19$m=65536,t=17,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    '$argon2id$v=19$m=65536,t=4294967295,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    '$argon2id$v=19$m=65536,t=2,p=9$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
  ])('%s is out of bounds and resolves false at once', async (encoded) => {
    const family = familyFor(encoded);
    expect(family.parse(encoded)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
    const started = performance.now();
    await expect(family.verify(encoded, 'password')).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('accepts the ceiling itself (256 MiB, reference test.c m=2^18) without hashing it here', () => {
    const encoded = '$argon2i$v=19$m=262144,t=2,p=1$c29tZXNhbHQ$KW266AuAfNzqrUSudBtQbxTbCVkmexg7EY+bJCKbx8s';
    expect(argon2i.parse(encoded)).toMatchObject({ ok: true, cost: { m: 262144 } });
  });

  const good = '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
  it.each([
    // passlib known_malformed_hashes: missing m, t over u32, unexpected parameter, wrong order, m < 8·p.
    '$argon2i$v=19$t=2,p=4$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY',
    '$argon2i$v=19$m=65536,t=8589934592,p=4$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY',
    '$argon2i$v=19$m=65536,t=2,p=4,q=5$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY',
    '$argon2i$v=19$t=2,m=65536,p=4,q=5$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY',
    '$argon2i$v=19$m=127,t=2,p=16$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4',
    // passlib: keyid= and data= need inputs an export does not carry.
    '$argon2i$v=19$m=65536,t=2,p=4,keyid=ABCD$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4',
    '$argon2i$v=19$m=512,t=2,p=2,data=c29tZWRhdGE$c29tZXNhbHQ$KgHyCesFyyjkVkihZ5VNFw',
    // Reference test.c: missing `$` (twice) and an empty salt.
    '$argon2i$v=19$m=65536,t=2,p=1c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA',
    '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQwWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA',
    '$argon2i$v=19$m=65536,t=2,p=1$$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ',
    // Ours: unknown version, leading zeros, short salt, padded/bad base64, truncated, huge.
    '$argon2id$v=18$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=0256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4=',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR_uIPnA4rEsF5h7TKyQwu9U1bMCHGi-4',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf6',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ',
    '$argon2id$',
    `${good}${'A'.repeat(100_000)}`,
  ])('%s is malformed', async (encoded) => {
    const family = familyFor(encoded);
    expect(family.matches(encoded)).toBe(true);
    expect(family.parse(encoded)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(family.verify(encoded, 'password')).resolves.toBe(false);
  });

  it.each([
    // argon2d (passlib's argon2-cffi sample) is left unclaimed, so it reports as an unknown format.
    '$argon2d$v=19$m=102400,t=2,p=8$g2RodLh8j8WbSdCp+lUy/A$zzAJqL/HSjm809PYQu6qkA',
    '$argon2qq$v=19$t=2,p=4$c29tZXNhbHQAAAAAAAAAAA$QWLzI4TY9HkL2ZTLc8g6SinwdhZewYrzz9zxCo0bkGY',
    '$ARGON2ID$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    'argon2$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '',
  ])('%j is claimed by neither family', (encoded) => {
    expect(argon2id.matches(encoded)).toBe(false);
    expect(argon2i.matches(encoded)).toBe(false);
  });

  it('each family refuses the other variant', async () => {
    const id = '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
    expect(argon2i.parse(id)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(argon2i.verify(id, 'password')).resolves.toBe(false);
  });

  it('refuses over-long passwords and non-strings without throwing', async () => {
    await expect(argon2id.verify(good, 'x'.repeat(1_025))).resolves.toBe(false);
    await expect(argon2id.verify(good, 'x'.repeat(100_000))).resolves.toBe(false);
    await expect(argon2id.verify(good, null as unknown as string)).resolves.toBe(false);
    expect(argon2id.parse(undefined as unknown as string)).toMatchObject({ ok: false });
  });
});
