import { afterAll, describe, expect, it } from 'vitest';
import { watchEventLoop } from '../../../test/support/event-loop.ts';
import { phpassRecompute } from '../algorithms/phpass.ts';
import { closeOffThreadPool } from '../offthread.ts';
import type { HashFamily } from '../types.ts';
import { phpassFamilies } from './phpass.ts';

afterAll(closeOffThreadPool);

function family(name: string): HashFamily {
  const found = phpassFamilies.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no family ${name}`);
  return found;
}

type Vector = [family: string, password: string, encoded: string];

// The sample legacy export (as in identity/demo/legacy-hashes.ts): WordPress-style $P$, log2 count 19.
const DEMO_PASSWORD = 'Sunrise-Clinic-2019';
const EXPORTED_PHPASS = '$P$Hn7x6vEn6iNjkQwczgrCp0pl9vM0vd0';

// passlib's UPASS_TABLE, its "ensures utf-8 used for unicode" password.
const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';

// passlib 1.7 passlib/tests/test_handlers.py, phpass_test.known_correct_hashes: the first from Openwall's
// phpass 0.3 source, then John the Ripper 1.7.9's, then passlib's own.
const passlib: Vector[] = [
  ['phpass', 'test12345', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0'],
  ['phpass', 'test1', '$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00'],
  ['phpass', '123456', '$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1'],
  ['phpass', '123456', '$H$9pdx7dbOW3Nnt32sikrjAxYFjX8XoK1'],
  ['phpass', 'thisisalongertestPW', '$P$912345678LIjjb6PhecupozNBmDndU0'],
  ['phpass', 'JohnRipper', '$P$612345678si5M0DDyPpmRCmcltU/YW/'],
  ['phpass', 'JohnRipper', '$H$712345678WhEyvy1YWzT4647jzeOmo0'],
  ['phpass', 'JohnRipper', '$P$B12345678L6Lpt4BxNotVIMILOa9u81'],
  ['phpass', '', '$P$7JaFQsPzJSuenezefD/3jHgt5hVfNH0'],
  ['phpass', 'compL3X!', '$P$FiS0N5L672xzQx1rt1vgdJQRYKnQM9/'],
  ['phpass', UPASS_TABLE, '$P$7SMy8VxnfsIy2Sxm7fJxDSdil.h7TW.'],
];

// Drupal 7: John the Ripper's drupal7_fmt_plug.c test vectors (openwall/john), and zitadel/passwap's
// internal/testvalues/drupal7.go (password "password", salt "randomsa", count E = 2^16).
const drupal: Vector[] = [
  ['drupal7', 'virtualabc', '$S$CwkjgAKeSx2imSiN3SyBEg8e0sgE2QOx4a/VIfCHN0BZUNAWCr1X'],
  ['drupal7', 'password', '$S$CFURCPa.k6FAEbJPgejaW4nijv7rYgGc4dUJtChQtV4KLJTPTC/u'],
  ['drupal7', 'NEW_TEMP_PASSWORD', '$S$C6x2r.aW5Nkg7st6/u.IKWjTerHXscjPtu4spwhCVZlP89UKcbb/'],
  ['drupal7', 'password', '$S$ErandomsaOpYrAZqwxGynirQbWYCb3ejW4BwGH81LJcOzbzeVd02'],
];

const exported: Vector[] = [['phpass', DEMO_PASSWORD, EXPORTED_PHPASS]];

// Made once with passlib 1.7.4 (Debian's python3-passlib, its own pure-Python phpass) and pasted here:
// `phpass.using(salt=SALT, rounds=LOG2, ident=P_OR_H).hash(PASSWORD)`. WordPress writes count B (13).
const independent: Vector[] = [
  ['phpass', 'Grüße aus der Praxis', '$P$BGr8ssePxSIjDLHzqT3BbZ8P.7NLLd1'],
  ['phpass', '患者ポータル-2019', '$H$6Wq3.7/zZTfIZ1AYx.nS6BFRZuB4nv1'],
  ['phpass', DEMO_PASSWORD, '$P$BwpExportvF1DMxSO61VdulF3ABINq1'],
  // The longest password hashed at all: bounds.maxPasswordBytes = 1,024 bytes.
  ['phpass', 'k'.repeat(1024), '$P$5max1024b5GJ8OnxG2sC6NfRmBS0dd.'],
];

// Drupal 7 hashes of 512- and 513-byte passwords, made with a Python transcription of Drupal 7's
// _password_crypt() (hashlib, without its length check; it reproduces the John the Ripper vectors above).
// Drupal refuses passwords over 512 bytes, so the second can never have been written by Drupal 7.26+.
const DRUPAL_512 = '$S$5maxbytesVPX0pvdCr3FvJTHtX9Mz1QIztWjuKSqFYFBWbVcbefb';
const DRUPAL_513 = '$S$5maxbytesBTSCWGDO7H4zSdT9Q/BkU6EnlISX8LBlOJave8yrerv';

describe.each([
  ['passlib’s test suite', passlib],
  ['Drupal 7 (John the Ripper, passwap)', drupal],
  ['the sample legacy export', exported],
  ['independently generated hashes', independent],
])('phpass known answers: %s', (_source, vectors) => {
  it.each(vectors)('%s %j → %s', async (name, password, encoded) => {
    const subject = family(name);
    expect(subject.matches(encoded)).toBe(true);
    expect(subject.parse(encoded)).toMatchObject({ ok: true, family: name });
    expect(phpassRecompute(password, encoded)).toBe(encoded);
    await expect(subject.verify(encoded, password)).resolves.toBe(true);
    await expect(subject.verify(encoded, `${password}x`)).resolves.toBe(false);
  });
});

describe('phpass families', () => {
  it('are recognised by their own prefixes only', () => {
    expect(family('phpass').matches(EXPORTED_PHPASS)).toBe(true);
    expect(family('phpass').matches('$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00')).toBe(true);
    expect(family('phpass').matches(drupal[0]![2])).toBe(false);
    expect(family('drupal7').matches(EXPORTED_PHPASS)).toBe(false);
    expect(family('drupal7').matches('')).toBe(false);
    expect(family('drupal7').parse(EXPORTED_PHPASS)).toMatchObject({ ok: false, reason: 'malformed_hash' });
  });

  it('report the log2 iteration count as the cost', () => {
    expect(family('phpass').parse(EXPORTED_PHPASS)).toEqual({
      ok: true,
      family: 'phpass',
      cost: { log2Iterations: 19 },
    });
    expect(family('phpass').parse('$P$B12345678L6Lpt4BxNotVIMILOa9u81')).toEqual({
      ok: true,
      family: 'phpass',
      cost: { log2Iterations: 13 },
    });
    expect(family('drupal7').parse(drupal[0]![2])).toEqual({
      ok: true,
      family: 'drupal7',
      cost: { log2Iterations: 14 },
    });
  });

  it('reject wrong passwords', async () => {
    for (const wrong of [
      '',
      'sunrise-clinic-2019',
      'Sunrise-Clinic-201',
      'Sunrise-Clinic-2019 ',
      'password',
    ]) {
      await expect(family('phpass').verify('$P$BwpExportvF1DMxSO61VdulF3ABINq1', wrong)).resolves.toBe(false);
    }
    for (const wrong of ['', 'Password', 'passwor', 'password ', 'virtualabc']) {
      await expect(family('drupal7').verify(drupal[3]![2], wrong)).resolves.toBe(false);
    }
  });

  const phpassChecksum = EXPORTED_PHPASS.slice(12);
  const drupalChecksum = drupal[0]![2].slice(12);
  const malformed: [string, string][] = [
    ['phpass', ''],
    ['phpass', '$P$'],
    ['phpass', '$P$H'],
    ['phpass', '$P$Hn7x6vEn6'],
    ['phpass', EXPORTED_PHPASS.slice(0, -1)],
    ['phpass', `${EXPORTED_PHPASS}0`],
    // passlib's known_malformed_hashes: a bad character in an otherwise correct hash.
    ['phpass', '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r!L0'],
    ['phpass', `$P$Hn7x6vEn6iNjkQwczgrCp0pl9vM0vdZ`],
    ['phpass', `$P$Hn7x6v_n6${phpassChecksum}`],
    ['phpass', `$P$!n7x6vEn6${phpassChecksum}`],
    ['phpass', `$p$Hn7x6vEn6${phpassChecksum}`],
    ['phpass', `$P$Hn7x6vEn$${phpassChecksum}`],
    ['phpass', ` ${EXPORTED_PHPASS}`],
    ['phpass', `${EXPORTED_PHPASS}\n`],
    ['phpass', `$P$${'a'.repeat(100_000)}`],
    ['drupal7', '$S$'],
    ['drupal7', drupal[0]![2].slice(0, -1)],
    ['drupal7', `${drupal[0]![2]}a`],
    ['drupal7', `$S$CwkjgAKeS${drupalChecksum}${'/'.repeat(43)}`],
    ['drupal7', `$S$CwkjgAKé${drupalChecksum}`],
    ['drupal7', `U$S$CwkjgAKeS${drupalChecksum}`],
  ];

  it.each(malformed)('%s refuses %j as malformed, and verify resolves false', async (name, encoded) => {
    const outcome = family(name).parse(encoded);
    expect(outcome).toMatchObject({ ok: false, reason: 'malformed_hash' });
    expect(outcome.ok || outcome.detail.length > 0).toBe(true);
    expect(phpassRecompute(DEMO_PASSWORD, encoded)).toBeNull();
    await expect(family(name).verify(encoded, DEMO_PASSWORD)).resolves.toBe(false);
  });

  const outOfBounds: [string, string][] = [
    // Count characters: 4 = 2^6 (under phpass's own floor of 7), J = 2^21, z = 2^63.
    ['phpass', `$P$4n7x6vEn6${phpassChecksum}`],
    ['phpass', `$P$Jn7x6vEn6${phpassChecksum}`],
    ['phpass', `$H$zn7x6vEn6${phpassChecksum}`],
    ['drupal7', `$S$zwkjgAKeS${drupalChecksum}`],
    ['drupal7', `$S$.wkjgAKeS${drupalChecksum}`],
  ];

  it.each(outOfBounds)(
    '%s refuses %j as out of bounds, and verify resolves false without hashing',
    async (name, encoded) => {
      expect(family(name).parse(encoded)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
      expect(phpassRecompute(DEMO_PASSWORD, encoded)).toBeNull();
      const started = performance.now();
      await expect(family(name).verify(encoded, DEMO_PASSWORD)).resolves.toBe(false);
      expect(performance.now() - started).toBeLessThan(1_000);
    },
  );

  it('accept the ceiling of 2^20 iterations at parse time', () => {
    expect(family('phpass').parse(`$P$In7x6vEn6${phpassChecksum}`)).toEqual({
      ok: true,
      family: 'phpass',
      cost: { log2Iterations: 20 },
    });
  });

  it('never throw on inputs that are not strings', async () => {
    for (const subject of phpassFamilies) {
      for (const junk of [undefined, null, 42, {}, ['$P$']] as unknown as string[]) {
        expect(subject.matches(junk)).toBe(false);
        expect(subject.parse(junk)).toMatchObject({ ok: false, reason: 'malformed_hash' });
        await expect(subject.verify(junk, DEMO_PASSWORD)).resolves.toBe(false);
        await expect(subject.verify(EXPORTED_PHPASS, junk)).resolves.toBe(false);
      }
    }
  });

  it('refuse passwords over bounds.maxPasswordBytes UTF-8 bytes without hashing', async () => {
    const [, longest, encoded] = independent.at(-1)!;
    expect(Buffer.byteLength(longest)).toBe(1024);
    await expect(family('phpass').verify(encoded, longest)).resolves.toBe(true);
    await expect(family('phpass').verify(encoded, `${longest}k`)).resolves.toBe(false);
    expect(phpassRecompute(`${longest}k`, encoded)).toBeNull();
    expect(phpassRecompute('é'.repeat(513), encoded)).toBeNull();
    const started = performance.now();
    await expect(family('phpass').verify(EXPORTED_PHPASS, 'x'.repeat(10_000_000))).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('refuse Drupal 7 passwords over 512 bytes, as Drupal does', async () => {
    await expect(family('drupal7').verify(DRUPAL_512, 'd'.repeat(512))).resolves.toBe(true);
    expect(phpassRecompute('d'.repeat(513), DRUPAL_513)).toBeNull();
    await expect(family('drupal7').verify(DRUPAL_513, 'd'.repeat(513))).resolves.toBe(false);
  });

  it('hash on a worker thread: the event loop keeps ticking through 2^19 MD5 iterations', async () => {
    // Start the pool first, so that thread start-up is not part of the measurement.
    await expect(family('phpass').verify(passlib[0]![2], passlib[0]![1])).resolves.toBe(true);
    const {
      result: verified,
      elapsed,
      maxGap,
      ticks,
    } = await watchEventLoop(() => family('phpass').verify(EXPORTED_PHPASS, DEMO_PASSWORD));
    expect(verified).toBe(true);
    // Had the loop run on this thread, one gap would span the whole verification. Compared with the
    // measured time, not a wall-clock limit, so a slow or busy machine does not make this flaky.
    expect(maxGap).toBeLessThan(elapsed / 2);
    expect(ticks).toBeGreaterThan(2);
  });
});
