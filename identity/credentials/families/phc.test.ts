import { scrypt as nodeScrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HashFamily } from '../types.ts';
import { decodeBase64, derivePbkdf2 } from '../family-kit.ts';
import { phcFamilies } from './phc.ts';

const familyFor = (encoded: string) => {
  const family = phcFamilies.find((candidate) => candidate.matches(encoded));
  if (!family) throw new Error(`no PHC family claims ${encoded.slice(0, 20)}`);
  return family;
};
const named = (name: string) => phcFamilies.find((family) => family.name === name) as HashFamily;

// passlib's test strings (tests/test_handlers.py).
const UPASS_WAV = '\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2';
const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';

const ab64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '').replaceAll('+', '.');

describe('PBKDF2-HMAC-SHA1, RFC 6070 §2 (the primitive every PBKDF2 family uses)', () => {
  it.each([
    ['password', 'salt', 1, 20, '0c60c80f961f0e71f3a9b524af6012062fe037a6'],
    ['password', 'salt', 2, 20, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'],
    ['password', 'salt', 4096, 20, '4b007901b765489abead49d926f721d065a429c1'],
    [
      'passwordPASSWORDpassword',
      'saltSALTsaltSALTsaltSALTsaltSALTsalt',
      4096,
      25,
      '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038',
    ],
    ['pass\u0000word', 'sa\u0000lt', 4096, 16, '56fa6aa75548099dcc37d7f03425e0c3'],
  ])('P=%j S=%j c=%i dkLen=%i', async (password, salt, iterations, length, hex) => {
    await expect(derivePbkdf2(password, Buffer.from(salt), iterations, length, 'sha1')).resolves.toEqual(
      Buffer.from(hex, 'hex'),
    );
  });

  it('verifies RFC 6070 vector 1 when dressed as a passlib $pbkdf2$ hash', async () => {
    const checksum = Buffer.from('0c60c80f961f0e71f3a9b524af6012062fe037a6', 'hex');
    const encoded = `$pbkdf2$1$${ab64(Buffer.from('salt'))}$${ab64(checksum)}`;
    await expect(named('phc_pbkdf2_sha1').verify(encoded, 'password')).resolves.toBe(true);
    await expect(named('phc_pbkdf2_sha1').verify(encoded, 'Password')).resolves.toBe(false);
  });
});

const vectors: [family: string, source: string, password: string, encoded: string][] = [
  // passlib, tests/test_handlers_pbkdf2.py.
  [
    'phc_pbkdf2_sha1',
    'passlib',
    'password',
    '$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI',
  ],
  [
    'phc_pbkdf2_sha1',
    'passlib',
    UPASS_WAV,
    '$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc',
  ],
  [
    'phc_pbkdf2_sha256',
    'passlib',
    'password',
    '$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
  ],
  [
    'phc_pbkdf2_sha256',
    'passlib',
    UPASS_WAV,
    '$pbkdf2-sha256$1212$3SABFJGDtyhrQMVt1uABPw$WyaUoqCLgvz97s523nF4iuOqZNbp5Nt8do/cuaa7AiI',
  ],
  [
    'phc_pbkdf2_sha512',
    'passlib',
    'password',
    '$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww',
  ],
  [
    'phc_pbkdf2_sha512',
    'passlib',
    UPASS_WAV,
    '$pbkdf2-sha512$1212$KkbvoKGsAIcF8IslDR6skQ$8be/PRmd88Ps8fmPowCJttH9G3vgxpG.Krjt3KT.NP6cKJ0V4Prarqf.HBwz0dCkJ6xgWnSj2ynXSV7MlvMa8Q',
  ],
  // passlib, tests/test_handlers_scrypt.py: the scrypt paper's vectors (Percival, appendix B) in passlib's
  // format, then passlib's own (different r, p, ln, and UTF-8).
  ['phc_scrypt', 'scrypt paper', '', '$scrypt$ln=4,r=1,p=1$$d9ZXYjhleyA7GcpCwYoEl/FrSETjB0ro39/6P+3iFEI'],
  [
    'phc_scrypt',
    'scrypt paper',
    'pleaseletmein',
    '$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI',
  ],
  [
    'phc_scrypt',
    'passlib',
    'test',
    '$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA',
  ],
  [
    'phc_scrypt',
    'passlib',
    'password',
    '$scrypt$ln=8,r=2,p=1$dO6d0xoDoLT2PofQGoNQag$g/Wf2A0vhHhaJM+addK61QPBthSmYB6uVTtQzh8CM3o',
  ],
  [
    'phc_scrypt',
    'passlib',
    UPASS_TABLE,
    '$scrypt$ln=7,r=8,p=1$jjGmtDamdA4BQAjBeA9BSA$OiWRHhQtpDx7M/793x6UXK14AD512jg/qNm/hkWZG4M',
  ],
  [
    'phc_scrypt',
    'passlib',
    'nacl',
    '$scrypt$ln=1,r=4,p=2$yhnD+J+Tci4lZCwFgHCuVQ$fAsEWmxSHuC0cHKMwKVFPzrQukgvK09Sj+NueTSxKds',
  ],
  // Generated independently with Python 3.11 hashlib, e.g. hashlib.pbkdf2_hmac('sha256', 'lètmein'.encode(),
  // salt, 1000) with salt = bytes(range(250, 256)) + b'\xfb\xff\x00\x01passlib', written in ab64; and
  // hashlib.scrypt('lètmein'.encode(), salt=b'maxmem-check', n=2**15, r=8, p=2, maxmem=80 MiB, dklen=32),
  // whose 32 MiB V array is over OpenSSL's default ceiling, so it checks that maxmem is passed.
  [
    'phc_pbkdf2_sha1',
    'python',
    'lètmein',
    '$pbkdf2$1000$.vv8/f7/./8AAXBhc3NsaWI$m8ZuDvM.tWAZez2Hv/vqPMSjyhM',
  ],
  [
    'phc_pbkdf2_sha256',
    'python',
    'lètmein',
    '$pbkdf2-sha256$1000$.vv8/f7/./8AAXBhc3NsaWI$XgSQFw.QIEwaMFhHcODRxbUAQZeDLCTKvwj1smapEVk',
  ],
  [
    'phc_pbkdf2_sha512',
    'python',
    'lètmein',
    '$pbkdf2-sha512$1000$.vv8/f7/./8AAXBhc3NsaWI$GK3S2ES/9EvWbGomv3h.fLfGL2fVU/IfohfA4bugTny2m9F96gDigiRdDUHgyJPh9fBpVIm8jZERPlqPBJ0Hyg',
  ],
  [
    'phc_scrypt',
    'python',
    'lètmein',
    '$scrypt$ln=10,r=4,p=2$+vv8/f7/+/8AAXBhc3NsaWI$q2sjE+cDqTgkvtEm820spMqysDNFl0f6MdhW07wTdrA',
  ],
  [
    'phc_scrypt',
    'python',
    'lètmein',
    '$scrypt$ln=15,r=8,p=2$bWF4bWVtLWNoZWNr$86cStV7RrQtnLathYUo74XMRIx9Ic7jf2RiW3BUSZkg',
  ],
];

describe('passlib PBKDF2 and scrypt known answers', () => {
  it.each(vectors)('%s (%s): %j verifies', async (name, _source, password, encoded) => {
    const family = familyFor(encoded);
    expect(family.name).toBe(name);
    expect(family.parse(encoded)).toMatchObject({ ok: true, family: name });
    await expect(family.verify(encoded, password)).resolves.toBe(true);
    await expect(family.verify(encoded, `${password}x`)).resolves.toBe(false);
  });

  it('reports the cost parameters', () => {
    expect(familyFor(vectors[0]?.[3] ?? '').parse(vectors[0]?.[3] ?? '')).toEqual({
      ok: true,
      family: 'phc_pbkdf2_sha1',
      cost: { iterations: 1212 },
    });
    const scrypt = '$scrypt$ln=8,r=2,p=1$dO6d0xoDoLT2PofQGoNQag$g/Wf2A0vhHhaJM+addK61QPBthSmYB6uVTtQzh8CM3o';
    expect(named('phc_scrypt').parse(scrypt)).toEqual({
      ok: true,
      family: 'phc_scrypt',
      cost: { ln: 8, r: 2, p: 1 },
    });
  });

  it('agrees with a scrypt value computed here and written in passlib format', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = await new Promise<Buffer>((resolve, reject) =>
      nodeScrypt('pässword', salt, 32, { N: 64, r: 2, p: 3 }, (error, derived) =>
        error ? reject(error) : resolve(derived),
      ),
    );
    const unpadded = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
    const encoded = `$scrypt$ln=6,r=2,p=3$${unpadded(salt)}$${unpadded(key)}`;
    await expect(named('phc_scrypt').verify(encoded, 'pässword')).resolves.toBe(true);
  });
});

describe('passlib PBKDF2 and scrypt refusals', () => {
  it.each([
    '$pbkdf2$1500001$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI',
    '$pbkdf2-sha256$2147483648$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
    '$pbkdf2-sha512$0$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww',
    // The scrypt paper's own ln=10, r=8, p=16 vector: p is over bounds.scrypt.maxP.
    '$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI',
    '$scrypt$ln=18,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI',
    '$scrypt$ln=31,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI',
    '$scrypt$ln=14,r=17,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI',
    '$scrypt$ln=17,r=16,p=5$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI',
  ])('%s is out of bounds and resolves false at once', async (encoded) => {
    const family = familyFor(encoded);
    expect(family.parse(encoded)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
    const started = performance.now();
    await expect(family.verify(encoded, 'password')).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('accepts the memory ceiling itself (N=2^17, r=16: 256 MiB) without deriving it here', () => {
    const encoded = '$scrypt$ln=17,r=16,p=4$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI';
    expect(named('phc_scrypt').parse(encoded)).toMatchObject({ ok: true, cost: { ln: 17, r: 16, p: 4 } });
  });

  it.each([
    // passlib known_malformed_hashes: zero-padded rounds, empty rounds, too many fields.
    '$pbkdf2$01212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc',
    '$pbkdf2$$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc',
    '$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc$',
    // passlib scrypt known_malformed_hashes: missing p, ln=0, non-numeric r, r·p ≥ 2^30.
    '$scrypt$ln=10,r=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ',
    '$scrypt$ln=0,r=1,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ',
    '$scrypt$ln=10,r=A,p=1$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ',
    '$scrypt$ln=10,r=134217728,p=8$wvif8/4fg1Cq9V7L2dv73w$bJcLia1lyfQ1X2x0xflehwVXPzWIUQWWdnlGwfVzBeQ',
    // Ours: standard `+` where ab64 wants `.`, padding, wrong checksum size, missing fields, huge.
    '$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c+tmQ',
    '$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw==$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
    '$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$y5LKPOplRmok7CZp/aqVDVg8zGI',
    '$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
    '$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ',
    '$pbkdf2$',
    '$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk-DWz8HZIB6Vum6erDuUm0As5yU-VxWA',
    '$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg==$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA',
    '$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lz',
    '$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$',
    '$scrypt$p=1,r=8,ln=8$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA',
    '$scrypt$ln=08,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA',
    '$scrypt$ln=8,r=0,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA',
    '$scrypt$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA$',
    `$scrypt$ln=8,r=8,p=1$${'A'.repeat(100_000)}$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA`,
  ])('%s is malformed', async (encoded) => {
    const family = familyFor(encoded);
    expect(family.parse(encoded)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(family.verify(encoded, 'password')).resolves.toBe(false);
  });

  it.each([
    '$pbkdf2-sha384$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ',
    '{PBKDF2}1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI',
    '$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D',
    'scrypt$16384$seasalt$8$1$Qj3=',
    '$SCRYPT$ln=8,r=8,p=1$wlhLyXmP8b53bm1NKYVQqg$mTpvG8lzuuDk+DWz8HZIB6Vum6erDuUm0As5yU+VxWA',
    '',
  ])('%j is claimed by no family here', (encoded) => {
    expect(phcFamilies.some((family) => family.matches(encoded))).toBe(false);
  });

  it('refuses over-long passwords and non-strings without throwing', async () => {
    const encoded = '$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI';
    await expect(named('phc_pbkdf2_sha1').verify(encoded, 'p'.repeat(1_025))).resolves.toBe(false);
    await expect(named('phc_pbkdf2_sha1').verify(encoded, 'p'.repeat(100_000))).resolves.toBe(false);
    await expect(named('phc_pbkdf2_sha1').verify(encoded, [] as unknown as string)).resolves.toBe(false);
    expect(named('phc_scrypt').parse(undefined as unknown as string)).toMatchObject({ ok: false });
  });
});

describe('strict base64', () => {
  it.each([
    ['padded', 'c2VjcmV0', 'secret'],
    ['padded', 'c2VjcmV0MQ==', 'secret1'],
    ['unpadded', 'c2VjcmV0MQ', 'secret1'],
    ['ab64', 'Pz8.', '??>'],
  ] as const)('%s %j decodes', (style, text, expected) => {
    expect(decodeBase64(text, style)?.toString('latin1')).toBe(expected);
  });

  it.each([
    ['padded', 'c2VjcmV0MQ'],
    ['padded', 'c2VjcmV0M==='],
    ['padded', 'c2Vj=mV0'],
    ['padded', 'c2VjcmV0\n'],
    ['unpadded', 'c2VjcmV0MQ=='],
    ['unpadded', 'c2VjcmV0M'],
    ['unpadded', 'c2Vj-mV0'],
    ['ab64', 'Pz8+'],
  ] as const)('%s %j is refused', (style, text) => {
    expect(decodeBase64(text, style)).toBeNull();
  });
});
