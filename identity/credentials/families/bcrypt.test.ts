import bcryptLib from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { bcryptFamilies } from './bcrypt.ts';

const bcrypt = bcryptFamilies.find((family) => family.name === 'bcrypt') as (typeof bcryptFamilies)[number];

// passlib's test strings (tests/test_handlers.py).
const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';

describe('bcrypt known answers', () => {
  const vectors: [source: string, password: string, encoded: string][] = [
    // The sample legacy export.
    ['export', 'Sunrise-Clinic-2019', '$2y$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MGq'],
    // PHP manual, password_verify() example (older and current editions of php.net).
    ['php.net', 'rasmuslerdorf', '$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq'],
    ['php.net', 'rasmuslerdorf', '$2y$12$4Umg0rCJwMswRw/l.SwHvuQV01coP0eWmGzd61QH2RvAOMANUBGC.'],
    // John the Ripper 1.7.9, via passlib tests/test_handlers_bcrypt.py.
    ['JtR', 'U*U*U*U*', '$2a$05$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O'],
    ['JtR', 'U*U***U', '$2a$05$WY62Xk2TXZ7EvVDQ5fmjNu7b0GEzSzUXUh2cllxJwhtOeMtWV3Ujq'],
    ['JtR', 'U*U***U*', '$2a$05$Fa0iKV3E2SYVUlMknirWU.CFYGvJ67UwVKI1E2FP6XeLiZGcH3MJi'],
    ['JtR', '*U*U*U*U', '$2a$05$.WRrXibc1zPgIdRXYfv.4uu6TD1KWf0VnHzq/0imhUhuxSxCyeBs2'],
    ['JtR', '', '$2a$05$Otz9agnajgrAe0.kFVF9V.tzaStZ2s1s4ZWi/LY4sw2k/MTVFj/IO'],
    // Openwall crypt_blowfish 1.2 vectors, via passlib (those correct under both crypt_blowfish and OpenBSD).
    ['openwall', 'U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['openwall', 'U*U*', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK'],
    ['openwall', 'U*U*U', '$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a'],
    ['openwall', '', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy'],
    [
      'openwall',
      '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored',
      '$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui',
    ],
    // crypt_blowfish's 8-bit bug vector (b'\xd1\x91' is 'ё' in UTF-8): right only without the bug.
    ['passlib 8-bit', '\u0451', '$2y$05$6bNw2HLQYeqHYyBfLMsv/OUcZd0LKP39b87nBw3.S2tVZSqiQX6eu'],
    // OpenBSD length-wraparound vectors (passlib): $2a$ verified as $2b$ must not wrap at 256 bytes.
    [
      'passlib wraparound',
      '0123456789'.repeat(26).slice(0, 254),
      '$2a$04$R1lJ2gkNaoPGdafE.H.16.1MKHPvmKwryeulRe225LKProWYwt9Oi',
    ],
    [
      'passlib wraparound',
      '0123456789'.repeat(26).slice(0, 257),
      '$2a$04$R1lJ2gkNaoPGdafE.H.16.1MKHPvmKwryeulRe225LKProWYwt9Oi',
    ],
    // py-bcrypt vectors, via passlib.
    ['py-bcrypt', '', '$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'],
    ['py-bcrypt', 'a', '$2a$10$k87L/MF28Q673VKh8/cPi.SUl7MU/rWuSiIDDFayrKk/1tBsSQu4u'],
    ['py-bcrypt', 'abc', '$2a$10$WvvTPHKwdBJ3uk0Z37EMR.hLA2W6N9AEBhEgrAOljy2Ae5MtaSIUi'],
    [
      'py-bcrypt',
      'abcdefghijklmnopqrstuvwxyz',
      '$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq',
    ],
    [
      'py-bcrypt',
      '~!@#$%^&*()      ~!@#$%^&*()PNBFRD',
      '$2a$10$LgfYWkbzEvQ4JakH7rOvHe0y8pHKF9OaFgwUZ2q7W2FFZmZzJYlfS',
    ],
    // passlib custom: UTF-8 for non-ASCII, and the same hash under $2b$.
    ['passlib', UPASS_TABLE, '$2a$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG'],
    ['passlib', UPASS_TABLE, '$2b$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG'],
    // passlib known_incorrect_padding: unused bits set in the salt's or the checksum's last character.
    ['passlib padding', 'test', '$2a$04$oaQbBqq8JnSM1NHRPQGXORY4Vw3bdHKLIXTecPDRAcJ98cz1ilveO'],
    ['passlib padding', 'test', '$2a$04$yjDgE74RJkeqC0/1NheSSOrvKeu9IbKDpcQf/Ox3qsrRS/Kw42qIV'],
    // Generated independently with Apache's bcrypt (apr-util), e.g. `htpasswd -nbB -C 4 u 'lètmein'`.
    ['htpasswd', 'lètmein', '$2y$04$2Cm64ix4.zGi5vWz2nmCa.169PrCLkUnZzb7ofYHKvWx9S/fq3JSG'],
    ['htpasswd', '', '$2y$04$xoqtJTAdjsnkaX6Hfwehw.wK/npW.KBb2dX5QAKvb6AqObzUcTW/m'],
    ['htpasswd', '0123456789'.repeat(8), '$2y$04$kvsxcXwYuX2K3WXBeaO1JezhMf5upG8U6P7AbpWCMwKyG8oFDKV5e'],
  ];

  it.each(vectors)('%s: %j verifies', async (_source, password, encoded) => {
    expect(bcrypt.matches(encoded)).toBe(true);
    expect(bcrypt.parse(encoded)).toEqual({
      ok: true,
      family: 'bcrypt',
      cost: { cost: Number(encoded.slice(4, 6)) },
    });
    await expect(bcrypt.verify(encoded, password)).resolves.toBe(true);
  });

  // A changed first character: appending would be invisible past bcrypt's 72 bytes.
  it.each(vectors)('%s: %j with a changed password fails', async (_source, password, encoded) => {
    await expect(bcrypt.verify(encoded, `x${password}`)).resolves.toBe(false);
  });

  it('reads only the first 72 bytes, as bcrypt does', async () => {
    const encoded = '$2y$04$kvsxcXwYuX2K3WXBeaO1JezhMf5upG8U6P7AbpWCMwKyG8oFDKV5e'; // '0123456789' × 8
    await expect(bcrypt.verify(encoded, '0123456789'.repeat(8).slice(0, 72))).resolves.toBe(true);
    await expect(bcrypt.verify(encoded, '0123456789'.repeat(7))).resolves.toBe(false);
  });

  it('verifies hashes made by the bcrypt package itself', async () => {
    const encoded = await bcryptLib.hash('correct horse', 4);
    await expect(bcrypt.verify(encoded, 'correct horse')).resolves.toBe(true);
    await expect(bcrypt.verify(encoded, 'correct horsf')).resolves.toBe(false);
  });
});

describe('bcrypt refusals', () => {
  it('bounds the cost: $2b$31$ is out of bounds and resolves false without hashing', async () => {
    const encoded = '$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
    expect(bcrypt.matches(encoded)).toBe(true);
    expect(bcrypt.parse(encoded)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
    const started = performance.now();
    await expect(bcrypt.verify(encoded, 'anything')).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it.each([
    ['$2b$15$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234', 'hash_params_out_of_bounds'],
    ['$2b$03$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234', 'malformed_hash'],
    ['$2b$99$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234', 'malformed_hash'],
    // passlib known_malformed_hashes: bad character, $2x$, cost not zero-padded.
    ['$2a$12$EXRkfkdmXn!gzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q', 'malformed_hash'],
    ['$2x$12$EXRkfkdmXnagzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q', 'malformed_hash'],
    ['$2a$6$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.', 'malformed_hash'],
    // $2$ (original bcrypt; passlib's CONFIG_2 vector) cannot be verified natively.
    ['$2$05$......................J2ihDv8vVf7QZ9BsaRrKyqs2tkn55Yq', 'malformed_hash'],
    // Truncated, extended, empty after the ident.
    ['$2y$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MG', 'malformed_hash'],
    ['$2y$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MGqq', 'malformed_hash'],
    ['$2y$', 'malformed_hash'],
    ['$2y$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MG=', 'malformed_hash'],
    [`$2y$10$${'a'.repeat(100_000)}`, 'malformed_hash'],
  ])('%s is refused as %s', async (encoded, reason) => {
    expect(bcrypt.matches(encoded)).toBe(true);
    const outcome = bcrypt.parse(encoded);
    expect(outcome).toMatchObject({ ok: false, reason });
    expect(outcome.ok || outcome.detail.length > 0).toBe(true);
    await expect(bcrypt.verify(encoded, 'Sunrise-Clinic-2019')).resolves.toBe(false);
  });

  it.each([
    // passlib known_unidentified_hashes: unknown minor versions.
    '$2f$12$EXRkfkdmXnagzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q',
    '$2`$12$EXRkfkdmXnagzds2SSitu.MW9.gAVqa9eLS1//RYtYCmB1eLHg.9q',
    '$2B$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MGq',
    '',
    'bcrypt$$2b$04$...',
  ])('%j is not claimed', (encoded) => {
    expect(bcrypt.matches(encoded)).toBe(false);
  });

  it('refuses non-strings and over-long passwords without throwing', async () => {
    const encoded = '$2y$04$kvsxcXwYuX2K3WXBeaO1JezhMf5upG8U6P7AbpWCMwKyG8oFDKV5e';
    // bcrypt would only read 72 bytes, but sign-in refuses anything over maxPasswordBytes first.
    await expect(bcrypt.verify(encoded, '0123456789'.repeat(8) + 'x'.repeat(2_000))).resolves.toBe(false);
    await expect(bcrypt.verify(encoded, 'x'.repeat(100_000))).resolves.toBe(false);
    expect(bcrypt.matches(42 as unknown as string)).toBe(false);
    expect(bcrypt.parse(null as unknown as string)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(bcrypt.verify(undefined as unknown as string, 'x')).resolves.toBe(false);
    await expect(bcrypt.verify(encoded, undefined as unknown as string)).resolves.toBe(false);
  });
});
