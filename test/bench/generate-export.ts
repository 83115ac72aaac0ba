// Writes a synthetic legacy export of N rows (mixed hash formats, some dirty rows), streaming, so a
// million rows cost no memory.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const hashes = [
  '$2y$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MGq',
  'pbkdf2_sha256$100000$pZvKSfjUdXOE$dgvubJca3Pyr4uK8JEo/muZ+wt/NCLK07kL1d8Lpp0s=',
  '$P$Hn7x6vEn6iNjkQwczgrCp0pl9vM0vd0',
  '$6$to560rZGIr3IM76d$lx7Oo3yrNQtOSVsRvIKFK/hcLZVivP2W6SO1YXQp66KpXk36cXKzQ0mhgrRoZuC2207YAl3rlhazNr6oJugeK.',
  '{SSHA}Ng7tdqi47TpT/gCsMfNDgoDI+OhU6n1P',
  '"$argon2id$v=19$m=65536,t=4,p=1$b0ZQcFFjNzFwQkg2NTVzZg$s32fVbY9NsSOGgerG5gMfvhGbmzeK/TlRtnb5JPD1Pc"',
  '$apr1$0UXeb7sZ$yTjIhwmRFkp8G7ZHF7Ke2.',
  'AQAAAAEAACcQAAAAEGMDtxP0y+JYXbIHL7mNgnnsjuUfPk0ASzOr59+MLC+0CGxPnUs5v4+glewI1DTPQQ==',
  'bcrypt_sha256$$2b$12$AjEebMAFS/.64oFVSZLzjuU0fKZcJx4//AvmLlE4EUWv/l7.Sk2HC',
  '$1$s55tb/5R$1OHpgVVsjLhvm7ae3X.Cc1',
  '',
];
const header =
  'legacy_id,email,phone,given_name,family_name,birth_date,password_hash,password_hash_params,cohort,locale,time_zone,email_opt_in,sms_opt_in,new_platform_id,status,legacy_created_at\n';

export async function generateExport(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(header);
  for (let i = 1; i <= rows; i++) {
    const id = `B${String(i).padStart(8, '0')}`;
    const dirty = i % 50;
    // Dirty kind 2 shares the previous row's address: the pairs a real export has.
    const email =
      dirty === 1 ? 'not-an-email' : dirty === 2 ? `patient${i - 1}@example.org` : `patient${i}@example.org`;
    // Unique, valid US numbers (exchange 200-999, line 0000-9999) across a few area codes.
    const phone =
      i % 3 === 0
        ? `(${[212, 415, 617, 713][i % 4]}) ${200 + (i % 800)}-${String(Math.floor(i / 800) % 10_000).padStart(4, '0')}`
        : '';
    const hash = dirty === 3 ? 'xyz$9$unknown' : hashes[i % hashes.length]!;
    const zone = dirty === 4 ? 'Mars/Olympus_Mons' : i % 2 ? 'America/New_York' : 'America/Los_Angeles';
    const birth = dirty === 5 ? '1984-13-45' : `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`;
    const legacyId = dirty === 6 ? '' : id;
    const cohort = ['pilot', 'wave-1', 'wave-2'][i % 3]!;
    const line = `${legacyId},${email},${phone},Given${i},Family${i},${birth},${hash},,${cohort},${i % 4 ? 'en' : 'es'},${zone},true,${phone ? 'true' : 'false'},NP-${id},active,2021-03-04T10:00:00Z\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
