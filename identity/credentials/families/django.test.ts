import { createHash, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HashFamily } from '../types.ts';
import { djangoFamilies } from './django.ts';

const familyFor = (encoded: string) => {
  const family = djangoFamilies.find((candidate) => candidate.matches(encoded));
  if (!family) throw new Error(`no Django family claims ${encoded.slice(0, 20)}`);
  return family;
};
const named = (name: string) => djangoFamilies.find((family) => family.name === name) as HashFamily;

// Django's and passlib's test strings.
const LETMEIN = 'l\u00e8tmein';
const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';
const UPASS_USD = '\u20ac\u00a5$';

const vectors: [family: string, source: string, password: string, encoded: string][] = [
  // The sample legacy export.
  [
    'django_pbkdf2_sha256',
    'export',
    'Sunrise-Clinic-2019',
    'pbkdf2_sha256$100000$pZvKSfjUdXOE$dgvubJca3Pyr4uK8JEo/muZ+wt/NCLK07kL1d8Lpp0s=',
  ],
  [
    'django_bcrypt_sha256',
    'export',
    'Sunrise-Clinic-2019',
    'bcrypt_sha256$$2b$12$AjEebMAFS/.64oFVSZLzjuU0fKZcJx4//AvmLlE4EUWv/l7.Sk2HC',
  ],
  // Django, tests/auth_tests/test_hashers.py (commit 02dbf1667c6d, Django 4.x).
  [
    'django_pbkdf2_sha256',
    'Django',
    LETMEIN,
    'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
  ],
  ['django_pbkdf2_sha1', 'Django', LETMEIN, 'pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I='],
  ['django_sha1', 'Django', LETMEIN, 'sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8'],
  ['django_md5', 'Django', LETMEIN, 'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3'],
  ['django_sha1', 'Django unsalted', LETMEIN, 'sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b'],
  ['django_md5', 'Django unsalted', LETMEIN, 'md5$$88a434c88cca4e900f7874cd98123f43'],
  [
    'django_argon2',
    'Django v1.0',
    'secret',
    'argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg',
  ],
  ['django_argon2', 'Django', 'secret', 'argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q'],
  [
    'django_argon2',
    'Django',
    'secret',
    'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw',
  ],
  [
    'django_scrypt',
    'Django',
    LETMEIN,
    'scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
  ],
  // passlib, tests/test_handlers_django.py (generated with Django 1.4 – 1.10).
  [
    'django_pbkdf2_sha256',
    'passlib',
    'not a password',
    'pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs=',
  ],
  [
    'django_pbkdf2_sha256',
    'passlib',
    UPASS_TABLE,
    'pbkdf2_sha256$10000$bEwAfNrH1TlQ$OgYUblFNUX1B8GfMqaCYUK/iHyO0pa7STTDdaEJBuY0=',
  ],
  [
    'django_pbkdf2_sha1',
    'passlib',
    'not a password',
    'pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I=',
  ],
  [
    'django_pbkdf2_sha1',
    'passlib',
    UPASS_TABLE,
    'pbkdf2_sha1$10000$KZKWwvqb8BfL$rw5pWsxJEU4JrZAQhHTCO+u0f5Y=',
  ],
  ['django_md5', 'passlib', 'password', 'md5$123abcdef$c8272612932975ee80e8a35995708e80'],
  ['django_md5', 'passlib', 'test', 'md5$3OpqnFAHW5CT$54b29300675271049a1ebae07b395e20'],
  ['django_md5', 'passlib', UPASS_USD, 'md5$c2e86$92105508419a81a6babfaecf876a2fa0'],
  ['django_md5', 'passlib', UPASS_TABLE, 'md5$d9eb8$01495b32852bffb27cf5d4394fe7a54c'],
  ['django_sha1', 'passlib', 'password', 'sha1$123abcdef$e4a1877b0e35c47329e7ed7e58014276168a37ba'],
  ['django_sha1', 'passlib', 'test', 'sha1$bcwHF9Hy8lxS$6b4cfa0651b43161c6f1471ce9523acf1f751ba3'],
  ['django_sha1', 'passlib', UPASS_USD, 'sha1$c2e86$0f75c5d7fbd100d587c127ef0b693cde611b4ada'],
  ['django_sha1', 'passlib', UPASS_TABLE, 'sha1$6d853$ef13a4d8fb57aed0cb573fe9c82e28dc7fd372d4'],
  ['django_sha1', 'passlib', 'MyPassword', 'sha1$54123$893cf12e134c3c215f3a76bd50d13f92404a54d3'],
  [
    'django_bcrypt_sha256',
    'passlib',
    '',
    'bcrypt_sha256$$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu',
  ],
  [
    'django_bcrypt_sha256',
    'passlib',
    LETMEIN,
    'bcrypt_sha256$$2a$08$NDjSAIcas.EcoxCRiArvT.MkNiPYVhrsrnJsRkLueZOoV1bsQqlmC',
  ],
  [
    'django_bcrypt_sha256',
    'passlib',
    UPASS_TABLE,
    'bcrypt_sha256$$2a$06$kCXUnRFQptGg491siDKNTu8RxjBGSjALHRuvhPYNFsa4Ea5d9M48u',
  ],
  // Passwords past bcrypt's 72 bytes still differ once SHA-256 comes first.
  [
    'django_bcrypt_sha256',
    'passlib',
    'abc123'.repeat(12),
    'bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OySmyXA8FoY4PjGizjE1QSDfuL5MXNni',
  ],
  [
    'django_bcrypt_sha256',
    'passlib',
    `${'abc123'.repeat(12)}qwr`,
    'bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61Ocy0BEz1RK6xslSNi8PlaLX2pe7x/KQG',
  ],
  [
    'django_bcrypt_sha256',
    'passlib',
    `${'abc123'.repeat(12)}xyz`,
    'bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OvY2zoRVUa2Pugv2ExVOUT2YmhvxUFUa',
  ],
  ['django_bcrypt', 'passlib', '', 'bcrypt$$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'],
  [
    'django_bcrypt',
    'passlib',
    'abcdefghijklmnopqrstuvwxyz',
    'bcrypt$$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq',
  ],
  [
    'django_bcrypt',
    'passlib',
    UPASS_TABLE,
    'bcrypt$$2a$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG',
  ],
  [
    'django_argon2',
    'passlib',
    'password',
    'argon2$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A',
  ],
  [
    'django_argon2',
    'passlib',
    'password',
    'argon2$argon2i$v=19$m=380,t=2,p=2$c29tZXNhbHQ$SrssP8n7m/12VWPM8dvNrw',
  ],
  [
    'django_argon2',
    'passlib',
    LETMEIN,
    'argon2$argon2i$v=19$m=512,t=2,p=2$V25jN1l4UUJZWkR1$MxpA1BD2Gh7+D79gaAw6sQ',
  ],
  // Generated independently with Python 3.11 hashlib (OpenSSL through CPython, not Node), e.g.
  // base64.b64encode(hashlib.pbkdf2_hmac('sha256', 'lètmein'.encode(), b'pySalt42', 1000)) and
  // hashlib.scrypt('lètmein'.encode(), salt=b'pySalt42', n=1024, r=8, p=1, dklen=64).
  [
    'django_pbkdf2_sha256',
    'python',
    LETMEIN,
    'pbkdf2_sha256$1000$pySalt42$0wB/CsDkkZViG9SxflFxi69QjIUE/60pok5YvZ+ginI=',
  ],
  ['django_pbkdf2_sha1', 'python', LETMEIN, 'pbkdf2_sha1$1000$pySalt42$ShmMHU4N22sbWSOOP91mrcwv3lc='],
  [
    'django_scrypt',
    'python',
    LETMEIN,
    'scrypt$1024$pySalt42$8$1$mRprTG5shxkmcj2jT5kZSPcDc4QOXBi/OpLeB0/5KyP9yKvba87hRsL8wautlBpGMaLCkM4QO3oN8FS7/6wSjg==',
  ],
  ['django_sha1', 'python', LETMEIN, 'sha1$pySalt42$a0f337018910ab4110d2c3762a25e2ac08f861f9'],
  ['django_md5', 'python', LETMEIN, 'md5$pySalt42$24c4a182b668ba3fcc18f4b7506e1dfe'],
  // bcrypt (apr-util, `htpasswd -nbB -C 4`) of Python's hashlib.sha256('lètmein'.encode()).hexdigest();
  // htpasswd writes $2y$, shown here with Django's $2b$ ident (the same algorithm).
  [
    'django_bcrypt_sha256',
    'htpasswd',
    LETMEIN,
    'bcrypt_sha256$$2b$04$GOGllvbUxfe1orC36mptQOagco5r9jeh7FfMqiH.tCJ7OMT2vgfNu',
  ],
];

describe('Django known answers', () => {
  it.each(vectors)('%s (%s): %j verifies', async (name, _source, password, encoded) => {
    const family = familyFor(encoded);
    expect(family.name).toBe(name);
    expect(family.parse(encoded)).toMatchObject({ ok: true, family: name });
    await expect(family.verify(encoded, password)).resolves.toBe(true);
    await expect(family.verify(encoded, `${password}z`)).resolves.toBe(false);
  });

  it('reports the cost parameters', () => {
    expect(familyFor(vectors[0]?.[3] ?? '').parse(vectors[0]?.[3] ?? '')).toEqual({
      ok: true,
      family: 'django_pbkdf2_sha256',
      cost: { iterations: 100000 },
    });
    const scrypt =
      'scrypt$1024$pySalt42$8$1$mRprTG5shxkmcj2jT5kZSPcDc4QOXBi/OpLeB0/5KyP9yKvba87hRsL8wautlBpGMaLCkM4QO3oN8FS7/6wSjg==';
    expect(named('django_scrypt').parse(scrypt)).toEqual({
      ok: true,
      family: 'django_scrypt',
      cost: { N: 1024, r: 8, p: 1 },
    });
    expect(named('django_bcrypt_sha256').parse(vectors[1]?.[3] ?? '')).toMatchObject({ cost: { cost: 12 } });
  });

  it('agrees with PBKDF2 and digests computed here through WebCrypto and createHash', async () => {
    const salt = 'w3bCrypt';
    const key = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(LETMEIN), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const bits = await webcrypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode(salt), iterations: 2_000 },
      key,
      256,
    );
    const pbkdf2 = `pbkdf2_sha256$2000$${salt}$${Buffer.from(bits).toString('base64')}`;
    await expect(named('django_pbkdf2_sha256').verify(pbkdf2, LETMEIN)).resolves.toBe(true);
    const md5 = `md5$${salt}$${createHash('md5').update(`${salt}${LETMEIN}`).digest('hex')}`;
    await expect(named('django_md5').verify(md5, LETMEIN)).resolves.toBe(true);
  });
});

describe('Django refusals', () => {
  it.each([
    [
      'pbkdf2_sha256$1500001$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
      'hash_params_out_of_bounds',
    ],
    [
      'pbkdf2_sha256$2147483648$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
      'hash_params_out_of_bounds',
    ],
    [
      'pbkdf2_sha1$99999999999999999999999$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=',
      'hash_params_out_of_bounds',
    ],
    ['pbkdf2_sha256$0$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', 'hash_params_out_of_bounds'],
    [
      'scrypt$262144$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
      'hash_params_out_of_bounds',
    ],
    [
      'scrypt$16384$seasalt$17$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
      'hash_params_out_of_bounds',
    ],
    [
      'scrypt$16384$seasalt$8$5$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
      'hash_params_out_of_bounds',
    ],
    [
      'argon2$argon2id$v=19$m=4194304,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw',
      'hash_params_out_of_bounds',
    ],
    [
      'bcrypt_sha256$$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
      'hash_params_out_of_bounds',
    ],
  ])('%s is %s and resolves false at once', async (encoded, reason) => {
    const family = familyFor(encoded);
    expect(family.parse(encoded)).toMatchObject({ ok: false, reason });
    const started = performance.now();
    await expect(family.verify(encoded, LETMEIN)).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it.each([
    // passlib known_malformed_hashes.
    'md5$aa$bb',
    'sha1$c2e86$0f75',
    'bcrypt_sha256$xyz$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu',
    // Ours: leading zeros, missing or extra fields, wrong base64, wrong digest sizes, uppercase hex.
    'pbkdf2_sha256$0390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    'pbkdf2_sha256$390000$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=$',
    'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c',
    'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ-92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    'pbkdf2_sha256$390000$seasalt$aDapRanzW8aHTz97v2TcfHzWD+I=',
    'pbkdf2_sha256$$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    'pbkdf2_sha1$390000$seasalt2$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    'sha1$seasalt$CFF36EA83F5706CE9AA7454E63E431FC726B2DC8',
    'sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc',
    'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3$',
    'md5$',
    'bcrypt_sha256$$2b$12$AjEebMAFS/.64oFVSZLzjuU0fKZcJx4//AvmLlE4EUWv/l7.Sk2H',
    'bcrypt_sha256$$2x$12$AjEebMAFS/.64oFVSZLzjuU0fKZcJx4//AvmLlE4EUWv/l7.Sk2HC',
    'bcrypt$$2b$1$AjEebMAFS/.64oFVSZLzjuU0fKZcJx4//AvmLlE4EUWv/l7.Sk2HC',
    'argon2$argon2d$v=19$m=102400,t=2,p=8$g2RodLh8j8WbSdCp+lUy/A$zzAJqL/HSjm809PYQu6qkA',
    'argon2$$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw',
    'argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q==',
    'scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NY',
    'scrypt$16000$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
    'scrypt$16384$seasalt$8$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
    `pbkdf2_sha256$1000$${'s'.repeat(100_000)}$0wB/CsDkkZViG9SxflFxi69QjIUE/60pok5YvZ+ginI=`,
  ])('%s is malformed', async (encoded) => {
    const family = familyFor(encoded);
    expect(family.parse(encoded)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    await expect(family.verify(encoded, LETMEIN)).resolves.toBe(false);
  });

  it.each([
    'lolcat$salt$hash',
    'PBKDF2_SHA256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    '88a434c88cca4e900f7874cd98123f43',
    'crypt$$ab1Hv2Lg7ltQo',
    '!unusable',
    '',
  ])('%j is claimed by no Django family', (encoded) => {
    expect(djangoFamilies.some((family) => family.matches(encoded))).toBe(false);
  });

  it('refuses over-long passwords, even where the digest would be cheap', async () => {
    const encoded = 'md5$pySalt42$24c4a182b668ba3fcc18f4b7506e1dfe';
    await expect(named('django_md5').verify(encoded, 'x'.repeat(1_025))).resolves.toBe(false);
    await expect(named('django_md5').verify(encoded, 'x'.repeat(100_000))).resolves.toBe(false);
    await expect(named('django_md5').verify(encoded, 42 as unknown as string)).resolves.toBe(false);
  });
});
