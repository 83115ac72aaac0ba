import { afterAll, describe, expect, it } from 'vitest';
import { watchEventLoop } from '../../../test/support/event-loop.ts';
import { cryptRecompute } from '../algorithms/crypt.ts';
import { closeOffThreadPool } from '../offthread.ts';
import type { HashFamily } from '../types.ts';
import { cryptFamilies } from './crypt.ts';

afterAll(closeOffThreadPool);

// The sample legacy export (as in identity/demo/legacy-hashes.ts): every password is the demo password.
const DEMO_PASSWORD = 'Sunrise-Clinic-2019';
const exportedSamples = {
  sha512_crypt:
    '$6$to560rZGIr3IM76d$lx7Oo3yrNQtOSVsRvIKFK/hcLZVivP2W6SO1YXQp66KpXk36cXKzQ0mhgrRoZuC2207YAl3rlhazNr6oJugeK.',
  apr1: '$apr1$0UXeb7sZ$yTjIhwmRFkp8G7ZHF7Ke2.',
  md5_crypt: '$1$s55tb/5R$1OHpgVVsjLhvm7ae3X.Cc1',
};

function family(name: string): HashFamily {
  const found = cryptFamilies.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no family ${name}`);
  return found;
}

type Vector = [family: string, password: string, encoded: string];

// passlib's UPASS_TABLE, its "ensures utf-8 used for unicode" password.
const UPASS_TABLE = 't\u00e1\u0411\u2113\u0259';

// Ulrich Drepper's SHA-crypt specification (https://www.akkadia.org/drepper/SHA-crypt.txt), as glibc's
// crypt/sha256c-test.c and crypt/sha512c-test.c and passlib's known_correct_configs carry them. The
// "roundstoolow" setting asked for rounds=10; crypt(3) raised it to 1,000 and wrote that into the output.
const drepper: Vector[] = [
  ['sha256_crypt', 'Hello world!', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
  [
    'sha256_crypt',
    'Hello world!',
    '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA',
  ],
  [
    'sha256_crypt',
    'This is just a test',
    '$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5',
  ],
  [
    'sha256_crypt',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1',
  ],
  [
    'sha256_crypt',
    'we have a short salt string but not a short password',
    '$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/',
  ],
  [
    'sha256_crypt',
    'a short string',
    '$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD',
  ],
  [
    'sha256_crypt',
    'the minimum number is still observed',
    '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC',
  ],
  [
    'sha512_crypt',
    'Hello world!',
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  ],
  [
    'sha512_crypt',
    'Hello world!',
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  ],
  [
    'sha512_crypt',
    'This is just a test',
    '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
  ],
  [
    'sha512_crypt',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
  ],
  [
    'sha512_crypt',
    'we have a short salt string but not a short password',
    '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0',
  ],
  [
    'sha512_crypt',
    'a short string',
    '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1',
  ],
  [
    'sha512_crypt',
    'the minimum number is still observed',
    '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
  ],
];

// passlib 1.7 passlib/tests/test_handlers.py: md5_crypt (John the Ripper 1.7.9 and passlib's own),
// apr_md5_crypt (the first from Apache's password_encryptions documentation), sha256_crypt and
// sha512_crypt known_correct_hashes (John the Ripper 1.7.9 and passlib's own).
const passlib: Vector[] = [
  ['md5_crypt', 'U*U*U*U*', '$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1'],
  ['md5_crypt', 'U*U***U', '$1$dXc3I7Rw$94JPyQc/eAgQ3MFMCoMF.0'],
  ['md5_crypt', 'U*U***U*', '$1$dXc3I7Rw$is1mVIAEtAhIzSdfn5JOO0'],
  ['md5_crypt', '*U*U*U*U', '$1$eQT9Hwbt$XtuElNJD.eW5MN5UCWyTQ0'],
  ['md5_crypt', '', '$1$Eu.GHtia$CFkL/nE1BYTlEPiVx1VWX0'],
  ['md5_crypt', '', '$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.'],
  ['md5_crypt', ' ', '$1$m/5ee7ol$bZn0kIBFipq39e.KDXX8I0'],
  ['md5_crypt', 'test', '$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020'],
  ['md5_crypt', 'Compl3X AlphaNu3meric', '$1$nX1e7EeI$ljQn72ZUgt6Wxd9hfvHdV0'],
  ['md5_crypt', '4lpHa N|_|M3r1K W/ Cur5Es: #$%(*)(*%#', '$1$jQS7o98J$V6iTcr71CGgwW2laf17pi1'],
  ['md5_crypt', 'test', '$1$SuMrG47N$ymvzYjr7QcEQjaK5m1PGx1'],
  ['md5_crypt', 's', '$1$ssssssss$YgmLTApYTv12qgTwBoj8i/'],
  ['md5_crypt', UPASS_TABLE, '$1$d6/Ky1lU$/xpf8m7ftmWLF.TjHCqel0'],
  ['apr1', 'myPassword', '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/'],
  ['apr1', UPASS_TABLE, '$apr1$bzYrOHUx$a1FcpXuQDJV3vPY20CS6N1'],
  ['sha256_crypt', 'U*U*U*U*', '$5$LKO/Ute40T3FNF95$U0prpBQd4PloSGU0pnpM4z9wKn4vZ1.jsrzQfPqxph9'],
  ['sha256_crypt', '', '$5$kc7lRD1fpYg0g.IP$d7CMTcEqJyTXyeq8hTdu/jB/I6DGkoo62NXbHIR7S43'],
  [
    'sha256_crypt',
    '4lpHa N|_|M3r1K W/ Cur5Es: #$%(*)(*%#',
    '$5$rounds=11944$9dhlu07dQMRWvTId$LyUI5VWkGFwASlzntk1RLurxX54LUhgAcJZIt0pYGT7',
  ],
  [
    'sha256_crypt',
    'with unic\u00D6de',
    '$5$rounds=1000$IbG0EuGQXw5EkMdP$LQ5AfPf13KufFsKtmazqnzSGZ4pxtUNw3woQ.ELRDF4',
  ],
  ['sha256_crypt', 'secret', '$5$rounds=1008$nacl$CiFWCfn8ODmWs0I1xAdXFo09tM8jr075CyP64bu3by9'],
  [
    'sha512_crypt',
    'U*U*U*U*',
    '$6$LKO/Ute40T3FNF95$6S/6T2YuOIHY0N3XpLKABJ3soYcXD9mB7uVbtEZDj/LNscVhZoZ9DEH.sBciDrMsHOWOoASbNLTypH/5X26gN0',
  ],
  [
    'sha512_crypt',
    '',
    '$6$ojWH1AiTee9x1peC$QVEnTvRVlPRhcLQCk/HnHaZmlGAAjCfrAN0FtOsOnUk5K5Bn/9eLHHiRzrTzaIKjW9NTLNIBUCtNVOowWS2mN.',
  ],
  [
    'sha512_crypt',
    'test',
    '$6$rounds=11531$G/gkPn17kHYo0gTF$Kq.uZBHlSBXyzsOJXtxJruOOH4yc0Is13uY7yK0PvAvXxbvc1w8DO1RzREMhKsc82K/Jh8OquV8FZUlreYPJk1',
  ],
  [
    'sha512_crypt',
    UPASS_TABLE,
    '$6$rounds=40000$PEZTJDiyzV28M3.m$GTlnzfzGB44DGd1XqlmC4erAJKCP.rhvLvrYxiT38htrNzVGBnplFOHjejUGVrCfusGWxLQCc3pFO0A/1jYYr0',
  ],
];

const exported: Vector[] = [
  ['sha512_crypt', DEMO_PASSWORD, exportedSamples.sha512_crypt],
  ['apr1', DEMO_PASSWORD, exportedSamples.apr1],
  ['md5_crypt', DEMO_PASSWORD, exportedSamples.md5_crypt],
];

// Made once on a Debian 12 machine and pasted here, each agreeing with a second tool: `openssl passwd -1 /
// -5 / -6 -salt SALT PASSWORD` (OpenSSL 3.0) and Perl's crypt() (libxcrypt) for $1$, $5$ and $6$;
// `openssl passwd -apr1` and passlib 1.7.4's apr_md5_crypt for $apr1$ with a chosen salt, and
// `htpasswd -nbm` (apache2-utils 2.4, random salt) for the other two. They cover where the npm packages go
// wrong: non-ASCII passwords for MD5-crypt (apache-md5), and passwords of exactly 32, 64 and 128 bytes,
// the SHA-256 / SHA-512 block sizes, for SHA-crypt (unixcrypt).
const independent: Vector[] = [
  ['md5_crypt', 'Grüße aus der Praxis', '$1$Gr8ssePx$jXHYj4YtgMIqPte/AQuu2.'],
  ['md5_crypt', 'sixteen-bytes-pw', '$1$sixteen0$r0TTLiQIPLHkMfN6iqevX0'],
  ['md5_crypt', '患者ポータル-2019', '$1$Wq3.7/zZ$QNQ2Hm44mBiq5o7wNDxEU1'],
  ['apr1', 'Grüße aus der Praxis', '$apr1$Gr8ssePx$tSW5ELirk3NeIMu35.NDe.'],
  ['apr1', 'correct horse battery staple', '$apr1$htpasswd$SouK.lGQVZviLeEDJK8yq.'],
  ['apr1', 'Grüße aus der Praxis', '$apr1$5mxdsEpu$A5f4VXFt22tJvbBm6nSF11'],
  ['apr1', 'correct horse battery staple', '$apr1$sZMdmRDn$oFdaFCkzBATeftd7.pqpH.'],
  [
    'sha256_crypt',
    'thirty-two-bytes-password-here!!',
    '$5$bytes32boundary$XIznMhMrQbjScMLTjXV2O87pQWlJap0ayHhl13lBIb5',
  ],
  [
    'sha256_crypt',
    'sixty-four-bytes-password-that-crosses-one-sha256-block-boundary',
    '$5$bytes64boundary$mye2eK5Xa4HTn/VYOZ8fUMIAqJN2LgIGhyB4N.Kk557',
  ],
  [
    'sha256_crypt',
    'Grüße aus der Praxis',
    '$5$rounds=5000$Gr8ssePraxis$QqfJqAlnAvMsocJyxP5h1TGDNaO2hzk/zrxwVSUypP8',
  ],
  [
    'sha512_crypt',
    'sixty-four-bytes-password-that-crosses-one-sha256-block-boundary',
    '$6$bytes64boundary$RYz6wCIeMbzHgsr/8EPrxXVbdKblu.dYXB/HCVWmvIPCuVENcQtqq5gm8BLfIObkrIhq0pBcoX9X7/X3ZoOUk.',
  ],
  [
    'sha512_crypt',
    'x'.repeat(128),
    '$6$bytes128boundary$B8Pd.CdUHdLGy6xLTfp.9EGLEZ3GStYJUBGg2ZzOJQniSDs3n/XTqyzFZX75VmSL3/hbq1h7X21uz3k/rhozI.',
  ],
  [
    'sha512_crypt',
    '患者ポータル-2019',
    '$6$rounds=20000$Wq3.7/zZpatient$LQjAAazpqvYNc4NyHycPEqnIab8fRNqNJg15Xtx6Q6nz9MPa4Vi4/NGe92e7c4Hrrou84IQBncUGg7egngxk41',
  ],
  [
    'sha512_crypt',
    DEMO_PASSWORD,
    '$6$rounds=200000$offthreadRounds1$bAxRolUdzKDOuP8SuyL1vZ3jtHttMxa0TaQzOYZivJBmU7lpqJidcD48RNAYABzixYQy7ANnWjZJeBJNmXl4P/',
  ],
  // The longest password hashed at all (bounds.maxPasswordBytes = 1,024 bytes): passlib 1.7.4's md5_crypt
  // (openssl passwd cuts passwords at 256 characters and libxcrypt refuses more than 512 bytes).
  ['md5_crypt', 'k'.repeat(1024), '$1$max1024b$xskfplM6x6Cexx4yBxEtt0'],
];

// SHA-512-crypt at 600,000 rounds (openssl passwd -6 and Perl's crypt() agree): long enough that a blocked
// event loop would show as one long gap.
const SLOW_SHA512 =
  '$6$rounds=600000$offthreadRounds6$wBPW3U7SPrdV5/.NmFaMzfnNvu.u33YyXJNw3rr6ycbCKh1hIyBW1rfFujZGT9wLxyqkMzihenGwD1SWJHShG/';

describe.each([
  ['Drepper’s SHA-crypt specification', drepper],
  ['passlib’s test suite', passlib],
  ['the sample legacy export', exported],
  ['independently generated hashes', independent],
])('crypt(3) known answers: %s', (_source, vectors) => {
  it.each(vectors)('%s %j → %s', async (name, password, encoded) => {
    const subject = family(name);
    expect(subject.matches(encoded)).toBe(true);
    expect(subject.parse(encoded)).toMatchObject({ ok: true, family: name });
    expect(cryptRecompute(password, encoded)).toBe(encoded);
    await expect(subject.verify(encoded, password)).resolves.toBe(true);
    await expect(subject.verify(encoded, `${password}x`)).resolves.toBe(false);
  });
});

describe('crypt(3) families', () => {
  it('are recognised by their own prefix only', () => {
    expect(family('md5_crypt').matches(exportedSamples.apr1)).toBe(false);
    expect(family('apr1').matches(exportedSamples.md5_crypt)).toBe(false);
    expect(family('sha256_crypt').matches(exportedSamples.sha512_crypt)).toBe(false);
    expect(family('sha512_crypt').matches('$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5')).toBe(
      false,
    );
    expect(family('md5_crypt').matches('')).toBe(false);
    expect(family('md5_crypt').parse(exportedSamples.apr1)).toMatchObject({
      ok: false,
      reason: 'malformed_hash',
    });
  });

  it('report their rounds as the cost: explicit, the implicit 5,000, and MD5-crypt’s fixed 1,000', () => {
    expect(family('sha512_crypt').parse(exportedSamples.sha512_crypt)).toEqual({
      ok: true,
      family: 'sha512_crypt',
      cost: { rounds: 5000 },
    });
    expect(family('sha256_crypt').parse(drepper[1]![2])).toEqual({
      ok: true,
      family: 'sha256_crypt',
      cost: { rounds: 10000 },
    });
    expect(family('apr1').parse(exportedSamples.apr1)).toEqual({
      ok: true,
      family: 'apr1',
      cost: { rounds: 1000 },
    });
  });

  it('write rounds= back only when the encoding had it, as crypt(3) does', () => {
    // libxcrypt's test suite: "explicit specification of rounds=5000 should be allowed and preserved".
    const implicit = '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5';
    const explicit = '$5$rounds=5000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5';
    expect(cryptRecompute('Hello world!', implicit)).toBe(implicit);
    expect(cryptRecompute('Hello world!', explicit)).toBe(explicit);
  });

  it('reject wrong passwords', async () => {
    for (const [name, , encoded] of exported) {
      for (const wrong of [
        '',
        'sunrise-clinic-2019',
        'Sunrise-Clinic-201',
        'Sunrise-Clinic-2019 ',
        'password',
      ]) {
        await expect(family(name).verify(encoded, wrong)).resolves.toBe(false);
      }
    }
  });

  const valid512 = exportedSamples.sha512_crypt;
  const checksum512 = valid512.slice(valid512.lastIndexOf('$') + 1);
  const checksum256 = '5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5';
  const malformed: [string, string][] = [
    ['md5_crypt', ''],
    ['md5_crypt', '$1$'],
    ['md5_crypt', '$1$s55tb/5R'],
    ['md5_crypt', '$1$s55tb/5R$'],
    ['md5_crypt', '$1$s55tb/5R$1OHpgVVsjLhvm7ae3X.Cc'],
    ['md5_crypt', '$1$s55tb/5R$1OHpgVVsjLhvm7ae3X.Cc1.'],
    // passlib's known_malformed_hashes: a bad character, and a trailing field.
    ['md5_crypt', '$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o!'],
    ['md5_crypt', '$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o.$'],
    ['md5_crypt', '$1$s55tb/5R9$1OHpgVVsjLhvm7ae3X.Cc1'],
    ['md5_crypt', '$1$s55tb_5R$1OHpgVVsjLhvm7ae3X.Cc1'],
    ['md5_crypt', '$1$s55tb/5R$1OHpgVVsjLhvm7ae3X.CcZ'],
    ['md5_crypt', ` ${exportedSamples.md5_crypt}`],
    ['md5_crypt', `${exportedSamples.md5_crypt}\n`],
    ['apr1', '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA!'],
    ['apr1', '$apr1$0UXeb7sZ$yTjIhwmRFkp8G7ZHF7Ke2'],
    ['apr1', '$apr1$$'],
    ['sha256_crypt', '$5$'],
    ['sha256_crypt', '$5$saltstring'],
    ['sha256_crypt', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc'],
    ['sha256_crypt', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEcZ'],
    ['sha256_crypt', `$5$rounds=$saltstring$${checksum256}`],
    ['sha256_crypt', `$5$rounds=010000$saltstring$${checksum256}`],
    ['sha256_crypt', `$5$rounds=0$saltstring$${checksum256}`],
    ['sha256_crypt', `$5$rounds=999$saltstring$${checksum256}`],
    ['sha256_crypt', `$5$rounds=10$roundstoolow$${checksum256}`],
    ['sha256_crypt', `$5$rounds=-5000$saltstring$${checksum256}`],
    ['sha256_crypt', `$5$rounds=5e3$saltstring$${checksum256}`],
    ['sha256_crypt', `$5$rounds=5000$rounds=5000$saltstring$${checksum256}`],
    // passlib's known_malformed_hashes for sha256_crypt and sha512_crypt.
    ['sha256_crypt', '$5$rounds=10428$uy/:jIAhCetNCTtb0$YWvUOXbkqlqhyoPMpN8BMeZGsGx2aBvxTvDFI613c3'],
    ['sha256_crypt', '$5$rounds=010428$uy/jIAhCetNCTtb0$YWvUOXbkqlqhyoPMpN8BMe.ZGsGx2aBvxTvDFI613c3'],
    ['sha256_crypt', '$5$rounds=10428$uy/jIAhCetNCTtb0$YWvUOXbkqlqhyoPMpN8BMe.ZGsGx2aBvxTvDFI613c3$'],
    [
      'sha512_crypt',
      '$6$rounds=011021$KsvQipYPWpr93wWP$v7xjI4X6vyVptJjB1Y02vZC5SaSijBkGmq1uJhPr3cvqvvkd42Xvo48yLVPFt8dvhCsnlUgpX.//Cxn91H4qy1',
    ],
    [
      'sha512_crypt',
      '$6$rounds=11021$KsvQipYPWpr9:wWP$v7xjI4X6vyVptJjB1Y02vZC5SaSijBkGmq1uJhPr3cvqvvkd42Xvo48yLVPFt8dvhCsnlUgpX.//Cxn91H4qy1',
    ],
    ['sha512_crypt', valid512.slice(0, -1)],
    ['sha512_crypt', `${valid512}A`],
    ['sha512_crypt', valid512.replace('$6$to560rZGIr3IM76d$', '$6$to560rZGIr3IM76dX$')],
    ['sha512_crypt', `$6$saltstringsaltstringX$${checksum512}`],
    ['sha512_crypt', `$6$sält$${checksum512}`],
    ['sha512_crypt', `$6$${'a'.repeat(100_000)}`],
    ['sha512_crypt', `$6$salt$${'a'.repeat(5_000)}`],
  ];

  it.each(malformed)('%s refuses %j as malformed, and verify resolves false', async (name, encoded) => {
    const outcome = family(name).parse(encoded);
    expect(outcome).toMatchObject({ ok: false, reason: 'malformed_hash' });
    expect(outcome.ok || outcome.detail.length > 0).toBe(true);
    expect(cryptRecompute(DEMO_PASSWORD, encoded)).toBeNull();
    await expect(family(name).verify(encoded, DEMO_PASSWORD)).resolves.toBe(false);
  });

  const outOfBounds: [string, string][] = [
    ['sha512_crypt', `$6$rounds=999999999$saltstring$${checksum512}`],
    ['sha512_crypt', `$6$rounds=1000001$saltstring$${checksum512}`],
    ['sha512_crypt', `$6$rounds=${'9'.repeat(400)}$saltstring$${checksum512}`],
    ['sha256_crypt', `$5$rounds=4294967296$saltstring$${checksum256}`],
  ];

  it.each(outOfBounds)(
    '%s refuses %j as out of bounds, and verify resolves false without hashing',
    async (name, encoded) => {
      expect(family(name).parse(encoded)).toMatchObject({ ok: false, reason: 'hash_params_out_of_bounds' });
      expect(cryptRecompute(DEMO_PASSWORD, encoded)).toBeNull();
      // 999,999,999 SHA-512 rounds would take many minutes; refusing takes no measurable time.
      const started = performance.now();
      await expect(family(name).verify(encoded, DEMO_PASSWORD)).resolves.toBe(false);
      expect(performance.now() - started).toBeLessThan(1_000);
    },
  );

  it('accept the ceiling of 1,000,000 rounds at parse time', () => {
    expect(family('sha512_crypt').parse(`$6$rounds=1000000$saltstring$${checksum512}`)).toEqual({
      ok: true,
      family: 'sha512_crypt',
      cost: { rounds: 1_000_000 },
    });
  });

  it('never throw on inputs that are not strings', async () => {
    for (const subject of cryptFamilies) {
      for (const junk of [undefined, null, 42, {}, ['$1$']] as unknown as string[]) {
        expect(subject.matches(junk)).toBe(false);
        expect(subject.parse(junk)).toMatchObject({ ok: false, reason: 'malformed_hash' });
        await expect(subject.verify(junk, DEMO_PASSWORD)).resolves.toBe(false);
        await expect(subject.verify(exportedSamples.md5_crypt, junk)).resolves.toBe(false);
      }
    }
  });

  it('refuse passwords over bounds.maxPasswordBytes UTF-8 bytes without hashing', async () => {
    const [, longest, encoded] = independent.at(-1)!;
    expect(Buffer.byteLength(longest)).toBe(1024);
    await expect(family('md5_crypt').verify(encoded, longest)).resolves.toBe(true);
    await expect(family('md5_crypt').verify(encoded, `${longest}k`)).resolves.toBe(false);
    expect(cryptRecompute(`${longest}k`, encoded)).toBeNull();
    // 513 two-byte characters: under the limit in UTF-16 code units, over it in UTF-8 bytes.
    expect(cryptRecompute('é'.repeat(513), encoded)).toBeNull();
    await expect(family('md5_crypt').verify(encoded, 'é'.repeat(513))).resolves.toBe(false);
    const started = performance.now();
    await expect(family('sha512_crypt').verify(SLOW_SHA512, 'x'.repeat(10_000_000))).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('hash on a worker thread: the event loop keeps ticking through a 600,000-round SHA-512-crypt', async () => {
    // Start the pool first, so that thread start-up is not part of the measurement.
    await expect(family('md5_crypt').verify(exportedSamples.md5_crypt, DEMO_PASSWORD)).resolves.toBe(true);
    const {
      result: verified,
      elapsed,
      maxGap,
      ticks,
    } = await watchEventLoop(() => family('sha512_crypt').verify(SLOW_SHA512, DEMO_PASSWORD));
    expect(verified).toBe(true);
    // Had the rounds run on this thread, one gap would span the whole verification. Compared with the
    // measured time, not a wall-clock limit, so a slow or busy machine does not make this flaky.
    expect(maxGap).toBeLessThan(elapsed / 2);
    expect(ticks).toBeGreaterThan(2);
  });
});
