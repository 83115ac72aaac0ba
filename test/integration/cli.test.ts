// The `causeway` command as an operator runs it: a child process, its output and its exit code.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, cliHarness, root } from '../support/cli.ts';
import { createDb } from '../../db/client.ts';
import { tamper } from '../support/db.ts';

const cli = cliHarness('causeway-cli-');
const { causeway, env, openCliDatabase } = cli;

// Each test starts several real `causeway` processes (about 1.5 s each to load): a shared, busy machine
// needs more than the default 30 s for a handful of them. Not a speed assertion.
describe('causeway CLI', { timeout: 120_000 }, () => {
  it('lists its commands with --help', async () => {
    const result = await causeway(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['serve', 'worker', 'db', 'demo', 'staff', 'audit'])
      expect(result.stdout).toContain(command);
    const staffHelp = await causeway(['staff', 'add', '--help']);
    expect(staffHelp.code).toBe(0);
    expect(staffHelp.stdout).toContain('--role <role>');
  });

  it.each([
    [['frobnicate'], "error: unknown command 'frobnicate'"],
    [['staff', 'add', '--role', 'admin'], "error: required option '--email <email>' not specified"],
    [
      ['staff', 'add', '--email', 'a@b.example', '--role', 'boss'],
      "error: option '--role <role>' argument 'boss' is invalid. Allowed choices are admin, support, clinical, marketing.",
    ],
    [
      ['demo', '--patients', 'many'],
      "error: option '--patients <count>' argument 'many' is invalid. must be a positive whole number.",
    ],
    [
      ['serve', '--port', '99999'],
      "error: option '--port <port>' argument '99999' is invalid. must be a port number from 0 to 65535.",
    ],
  ])('fails on bad input %j with one line and a non-zero exit', async (args, line) => {
    const result = await causeway(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('refuses to start in production without secrets, naming what is missing', async () => {
    const result = await causeway(['serve'], {
      NODE_ENV: 'production',
      SESSION_SECRET: '',
      DATA_ENCRYPTION_KEY: '',
      DATABASE_URL: '',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Causeway cannot start: NODE_ENV=production needs these environment variables set: SESSION_SECRET, DATA_ENCRYPTION_KEY, DATABASE_URL.\n',
    );
  });

  it('migrates, adds staff, refuses a duplicate, and verifies the audit chain until a row is tampered with', async () => {
    const migrate = await causeway(['db', 'migrate']);
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    expect((await causeway(['db', 'migrate'])).code).toBe(0);

    const added = await causeway(['staff', 'add', '--email', 'Ops.Lead@Clinic.example', '--role', 'admin']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added ops.lead@clinic.example as admin.');
    expect(added.stdout).toMatch(/One-time password \(shown once\): [\w-]{23}/);

    const again = await causeway(['staff', 'add', '--email', 'ops.lead@clinic.example', '--role', 'support']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'causeway: a staff member with the email ops.lead@clinic.example already exists\n',
    );

    const invalid = await causeway(['staff', 'add', '--email', 'not-an-email', '--role', 'support']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe('causeway: "not-an-email" is not a valid email address\n');

    await causeway(['staff', 'add', '--email', 'agent@clinic.example', '--role', 'support']);
    const verified = await causeway(['audit', 'verify']);
    expect(verified.stdout).toBe('Audit chain intact: 2 events verified.\n');
    expect(verified.code).toBe(0);

    const db = await openCliDatabase();
    await tamper(db, `UPDATE audit_events SET data = jsonb_set(data, '{role}', '"admin"') WHERE seq = 2`);
    await db.close();
    const broken = await causeway(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(
      'causeway: audit chain broken: row 2 was altered (1 rows verified before it)\n',
    );
  });

  it('registers, lists and removes relying parties, shows a secret once, and rotates keys', async () => {
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const added = await causeway([
      'clients',
      'add',
      '--name',
      'New platform',
      '--redirect-uri',
      'https://app.example.org/callback',
      '--redirect-uri',
      'https://app.example.org/callback2',
      '--post-logout-redirect-uri',
      'https://app.example.org/',
      '--type',
      'confidential',
      '--first-party',
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const clientId = /Client id: +(cw_[\w-]+)/.exec(added.stdout)![1]!;
    const secret = /Client secret: +([\w-]{43})/.exec(added.stdout)![1]!;
    expect(added.stdout).toContain('shown once');

    const listed = await causeway(['clients', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${clientId}  New platform  (confidential, first-party)`);
    expect(listed.stdout).toContain('redirect: https://app.example.org/callback2');
    expect(listed.stdout).not.toContain(secret);

    const refused = await causeway([
      'clients',
      'add',
      '--name',
      'Bad',
      '--redirect-uri',
      'http://app.example.org/callback',
      '--type',
      'public',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'causeway: redirect URI "http://app.example.org/callback" must use https (http only on localhost)\n',
    );

    const rotated = await causeway(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/New signing key [\w-]+ is published now and signs from /);
    expect((await causeway(['keys', 'rotate', '--cookies'])).stdout).toMatch(/New cookie key cookie-/);

    expect((await causeway(['clients', 'remove', clientId])).stdout).toContain(`Removed ${clientId}`);
    const again = await causeway(['clients', 'remove', clientId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`causeway: no client with the id ${clientId} (see "causeway clients list")\n`);
  });

  it('seeds the demo once', async () => {
    const first = await causeway(['demo', '--patients', '24']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Demo seeded: 24 synthetic patients');
    expect(first.stdout).toMatch(/Authenticator key: +([A-Z2-7]{4} ){7}[A-Z2-7]{4}/);
    const second = await causeway(['demo']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('The demo is already seeded; nothing changed.');
  });

  it('imports a legacy export, with a dry run first and a summary by outcome and reason', async () => {
    const fixture = path.join(root, 'test/fixtures/legacy-export-sample.csv');
    const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'causeway-empty-'));
    const unmigrated = await causeway(['import', 'patients', fixture], {
      DATA_DIR: emptyDir,
      DATABASE_URL: '',
    });
    expect(unmigrated.stderr).toBe(
      'causeway: the database has no tables yet: run "causeway db migrate" first\n',
    );
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const dry = await causeway(['import', 'patients', fixture, '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run: nothing was written.');
    expect(dry.stdout).toMatch(/imported\s+10\n/);

    const real = await causeway(['import', 'patients', fixture]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/Import finished \(run [0-9a-f-]{36}\)\./);
    expect(real.stdout).toMatch(/flagged\s+5\n/);
    expect(real.stdout).toMatch(/skipped\s+5\n/);
    expect(real.stdout).toMatch(/flagged\/duplicate_email\s+1\n/);
    expect(real.stdout).toMatch(/skipped\/duplicate_legacy_id_in_file\s+1\n/);

    const again = await causeway(['import', 'patients', fixture]);
    expect(again.stdout).toMatch(/unchanged\s+15\n/);
    expect(again.stdout).toMatch(/imported\s+0\n/);
  });

  it.each([
    [['import', 'patients', 'nope.csv'], 'causeway: no such file: nope.csv'],
    [
      ['import', 'patients', 'test/fixtures/legacy-export-sample.csv', '--region', 'XX'],
      'causeway: --region XX is not a country code such as US or MX',
    ],
    [
      ['import', 'patients', 'test/fixtures/legacy-export-sample.csv', '--format', 'xml'],
      "error: option '--format <format>' argument 'xml' is invalid. Allowed choices are csv, jsonl, auth0.",
    ],
  ])('refuses a bad import command %j in one line', async (args, line) => {
    const result = await causeway(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('runs a worker that stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'worker'], { cwd: root, env: env({ LOG_LEVEL: 'info' }) });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker never became ready: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        if (out.includes('worker ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    expect(exit, out).toEqual({ code: 0, signal: null });
    expect(out).toContain('"msg":"worker stopped"');
  });

  it('serves until SIGTERM, then finishes and exits cleanly', async () => {
    const ownDir = mkdtempSync(path.join(os.tmpdir(), 'causeway-serve-'));
    const child = spawn(process.execPath, [bin, 'serve', '--migrate', '--port', '0'], {
      cwd: root,
      env: env({ LOG_LEVEL: 'info', DATA_DIR: ownDir, HOST: '127.0.0.1' }),
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server never started: ${out}`)), 45_000);
      child.stdout.on('data', () => {
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)","msg":"serving"/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', database: 'ok' });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('"signal":"SIGTERM","msg":"shutting down"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('will not open the embedded database while another process holds it', async () => {
    const ownDir = mkdtempSync(path.join(os.tmpdir(), 'causeway-lock-'));
    const holder = await createDb({ dataDir: path.join(ownDir, 'pglite') });
    try {
      const result = await causeway(['db', 'migrate'], { DATA_DIR: ownDir, DATABASE_URL: '' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^causeway: the embedded database .*pglite is in use by process \d+; stop it first, or set DATABASE_URL/,
      );
    } finally {
      await holder.close();
    }
    // Once the holder is gone, the same command works.
    expect((await causeway(['db', 'migrate'], { DATA_DIR: ownDir, DATABASE_URL: '' })).code).toBe(0);
  });
});
