// The `causeway` command.
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { ZodError } from 'zod';
import { verifyAuditChain } from './db/audit.ts';
import { staffRoles } from './identity/staff/staff-service.ts';
import { seedDemo, DEMO_PASSWORD, type DemoResult } from './identity/demo/seed-demo.ts';
import { closeOffThreadPool } from './identity/credentials/offthread.ts';
import { formatImportSummary, progressBar } from './identity/import/report.ts';
import { importPatients } from './identity/import/import-patients.ts';
import {
  formatLegacyLinkImportSummary,
  importLegacyLinks,
  UnusableLegacyLinksFile,
} from './identity/legacy-bridge/import-legacy-links.ts';
import { isValidTimeZone } from './identity/import/normalize-row.ts';
import {
  formatUrlRuleImportReport,
  importUrlRules,
  UnusableUrlRulesFile,
} from './identity/url-rules/import-url-rules.ts';
import {
  formatCrosswalkImportSummary,
  importCrosswalk,
  UnusableCrosswalkFile,
} from './identity/url-rules/import-crosswalk.ts';
import type { ImportFormat } from './identity/import/read-sources.ts';
import { ConfigError, loadConfig } from './infra/env.ts';
import { createLogger } from './infra/logger.ts';
import { addOidc, createApp, createServices, listen, loadBuild, startWaveWorkers } from './server.ts';
import type { CoreServices } from './app/services.server.ts';
import { addClient, listClients, removeClient } from './identity/oidc/clients.ts';
import { ensureKeys, rotateCookieKey, rotateSigningKey } from './identity/oidc/keys.ts';
import { ensureStandinClient, startStandin } from './standin/relying-party.ts';
import { startMailIn, type MailIn } from './messaging/support/mail-in.ts';

/** A command's failure is one line on stderr and exit code 1. */
class CliError extends Error {}

function fail(message: string): never {
  throw new CliError(message);
}

function run<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      const undefinedTable = (error as { cause?: { code?: string } } | undefined)?.cause?.code === '42P01';
      const message =
        error instanceof ConfigError || error instanceof CliError
          ? error.message
          : error instanceof ZodError
            ? `causeway: ${error.issues.map((i) => i.message).join('; ')}`
            : undefinedTable
              ? 'causeway: the database has no tables yet: run "causeway db migrate" first'
              : `causeway: ${error instanceof Error ? error.message : String(error)}`;
      process.stderr.write(
        `${message.startsWith('causeway') || message.startsWith('Causeway') ? message : `causeway: ${message}`}\n`,
      );
      process.exit(1);
    }
  };
}

/** Opens the configured database for a one-shot command and always closes it. */
async function withServices<T>(work: (services: CoreServices) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const services = await createServices(config, createLogger({ level: 'warn' }));
  try {
    return await work(services);
  } finally {
    await services.database.close();
    await closeOffThreadPool();
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number.');
  return n;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('must be a port number from 0 to 65535.');
  return n;
}

function printDemo(result: DemoResult | { status: 'already_seeded' }, publicUrl: string) {
  if (result.status === 'already_seeded') {
    console.log('The demo is already seeded; nothing changed. (Delete .data/ to start over.)');
    return;
  }
  const families = Object.entries(result.byFamily)
    .sort((a, b) => b[1] - a[1])
    .map(([family, n]) => `${family} ${n}`)
    .join(', ');
  const key = result.admin.totpSecret.replace(/(.{4})/g, '$1 ').trim();
  console.log(
    [
      '',
      `Demo seeded: ${result.patients} synthetic patients in cohorts pilot, wave-1 and wave-2.`,
      `  Legacy password formats: ${families}.`,
      `  Every demo patient's legacy password is ${DEMO_PASSWORD}. Try signing in as:`,
      ...result.samplePatients.map((p) => `    ${p.email}   (${p.family} hash)`),
      '',
      'Demo staff admin. This is shown once: save it now.',
      `  Email:                 ${result.admin.email}`,
      `  One-time password:     ${result.admin.temporaryPassword}   (you choose your own at first sign-in)`,
      `  Authenticator key:     ${key}   (add it to an authenticator app as a TOTP key)`,
      `  Sign in at:            ${publicUrl}/staff/login`,
      '',
    ].join('\n'),
  );
}

export function buildCli(): Command {
  const program = new Command('causeway')
    .description('Causeway: the patient transition portal and identity bridge.')
    .showSuggestionAfterError(false)
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0] + '\n') });

  program
    .command('serve')
    .description('Serve the patient portal, the staff console and the health and metrics endpoints.')
    .addOption(new Option('--port <port>', 'port to listen on (default: PORT or 3000)').argParser(portNumber))
    .option('--migrate', 'apply database migrations before serving')
    .option('--demo', 'apply migrations and seed the demo once before serving (what npm start does)')
    .option('--no-workers', 'do not send message waves from this process (run `causeway worker` instead)')
    .action(
      run(async (options: { port?: number; migrate?: boolean; demo?: boolean; workers?: boolean }) => {
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel });
        const core = await createServices(config, logger);
        try {
          if (options.migrate || options.demo) await core.database.migrate();
          if (options.demo)
            printDemo(await seedDemo({ db: core.database.db, staff: core.staff }), config.publicUrl);
          const services = await addOidc(core);
          const app = createApp({ services, build: await loadBuild() });
          // Wave workers run beside the portal unless told not to (the embedded database belongs to
          // this process; with PostgreSQL, `causeway worker` processes may do it instead).
          const waveWorkers = options.workers === false ? null : await startWaveWorkers(core);
          const running = await listen(app, services, options.port ?? config.port, config.host);
          logger.info({ url: running.url }, 'serving');
          console.log(
            `Causeway is running at ${config.publicUrl} (staff console: ${config.publicUrl}/staff). Press Ctrl+C to stop.`,
          );
          let standin: { close(): Promise<void> } | undefined;
          if (options.demo) {
            const standinUrl = new URL(config.publicUrl);
            standinUrl.port = String(config.standinPort);
            const client = await ensureStandinClient({
              db: core.database.db,
              cipher: core.cipher,
              dataDir: config.dataDir,
              url: standinUrl.origin,
            });
            await services.oidc.refresh();
            standin = await startStandin({
              issuer: services.oidc.issuer,
              client,
              port: config.standinPort,
              host: config.host,
              publicUrl: standinUrl.origin,
            });
            console.log(
              `The stand-in new platform is at ${standinUrl.origin}: sign in there to walk the whole path.`,
            );
          }
          const stop = (signal: string) => {
            logger.info({ signal }, 'shutting down');
            // Workers finish their batch and the tallies are written while the database is still open.
            void Promise.all([waveWorkers?.stop(), services.signInTally.stop()])
              .then(() => Promise.all([running.close(), standin?.close()]))
              .then(() => process.exit(0));
          };
          process.on('SIGTERM', () => stop('SIGTERM'));
          process.on('SIGINT', () => stop('SIGINT'));
        } catch (error) {
          await core.database.close();
          throw error;
        }
      }),
    );

  program
    .command('worker')
    .description('Run background jobs (message waves, SLA timers) until stopped with SIGTERM.')
    .action(
      run(async () => {
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel, name: 'causeway-worker' });
        const services = await createServices(config, logger);
        await services.database.ping();
        const waveWorkers = await startWaveWorkers(services);
        // Listening before announcing readiness, and for every signal (not once): a second SIGTERM
        // during shutdown must not kill the worker half-way.
        const stopped = new Promise<void>((resolve) => {
          process.on('SIGTERM', () => resolve());
          process.on('SIGINT', () => resolve());
        });
        logger.info('worker ready');
        await stopped;
        await waveWorkers.stop();
        await services.signInTally.stop();
        await services.database.close();
        logger.info('worker stopped');
      }),
    );

  program
    .command('mail-in')
    .description(
      "Receive patients' email replies to support notices (SMTP, behind your mail server) until stopped.",
    )
    .addOption(
      new Option('--port <port>', 'port to listen on (default: MAIL_IN_PORT or 2525)').argParser(portNumber),
    )
    .option('--host <host>', 'address to listen on (default: MAIL_IN_HOST or 127.0.0.1)')
    .action(
      run(async (options: { port?: number; host?: string }) => {
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel, name: 'causeway-mail-in' });
        const services = await createServices(config, logger);
        const { replyAddress, mailIn } = config.support;
        let listener: MailIn;
        try {
          await services.database.ping();
          listener = await startMailIn({
            host: options.host ?? mailIn.host,
            port: options.port ?? mailIn.port,
            tls: mailIn.tls,
            // Only replies to our own reply address: anything else is not for us (550 at RCPT TO).
            recipientDomains: [replyAddress.slice(replyAddress.lastIndexOf('@') + 1).toLowerCase()],
            onMessage: (email) => services.support.receiveEmail(email),
            logger,
          });
        } catch (error) {
          await services.database.close();
          throw error;
        }
        // Listening for every signal (not once): a second SIGTERM during shutdown must not kill it half-way.
        const stopped = new Promise<string>((resolve) => {
          process.on('SIGTERM', () => resolve('SIGTERM'));
          process.on('SIGINT', () => resolve('SIGINT'));
        });
        console.log(
          `Causeway mail-in is receiving replies for ${replyAddress} on port ${listener.port}. Press Ctrl+C to stop.`,
        );
        const signal = await stopped;
        logger.info({ signal }, 'mail-in shutting down');
        // The listener finishes the messages it is taking (their tickets are written) before the database closes.
        await listener.close();
        await services.messaging.close();
        await services.signInTally.stop();
        await services.database.close();
        logger.info('mail-in stopped');
      }),
    );

  const db = program.command('db').description('Database tasks.');
  db.command('migrate')
    .description('Apply every pending migration (safe to run again).')
    .action(
      run(async () => {
        await withServices(async ({ database }) => {
          await database.migrate();
          console.log(
            `Migrations applied (${database.kind === 'pglite' ? 'embedded database' : 'PostgreSQL'}).`,
          );
        });
      }),
    );

  program
    .command('demo')
    .description(
      'Seed the demo once: three cohorts, synthetic patients with mixed legacy hashes, a staff admin.',
    )
    .addOption(
      new Option('--patients <count>', 'how many synthetic patients').default(300).argParser(positiveInt),
    )
    .action(
      run(async (options: { patients: number }) => {
        await withServices(async (services) => {
          await services.database.migrate();
          printDemo(
            await seedDemo({
              db: services.database.db,
              staff: services.staff,
              patientCount: options.patients,
            }),
            services.config.publicUrl,
          );
        });
      }),
    );

  const staff = program.command('staff').description('Staff accounts.');
  staff
    .command('add')
    .description('Add a staff member; prints a one-time password to hand over securely.')
    .requiredOption('--email <email>', 'work email address')
    .addOption(
      new Option('--role <role>', 'what they may see and do').choices(staffRoles).makeOptionMandatory(),
    )
    .action(
      run(async (options: { email: string; role: (typeof staffRoles)[number] }) => {
        await withServices(async (services) => {
          const result = await services.staff.addStaff(options, { type: 'cli' });
          if (!result.ok) {
            fail(
              result.reason === 'email_taken'
                ? `causeway: a staff member with the email ${options.email.toLowerCase()} already exists`
                : `causeway: "${options.email}" is not a valid email address`,
            );
          }
          console.log(
            [
              `Added ${result.staff.email} as ${result.staff.role}.`,
              `One-time password (shown once): ${result.temporaryPassword}`,
              `They sign in at ${services.config.publicUrl}/staff/login, set up an authenticator app, and choose their own password.`,
            ].join('\n'),
          );
        });
      }),
    );

  const importCommand = program.command('import').description('Bring legacy data in.');
  importCommand
    .command('patients')
    .description(
      'Import a legacy patient export (CSV with a header row, JSON Lines, or Auth0 bulk-import JSON).',
    )
    .argument('<file>', 'the export file')
    .addOption(
      new Option('--format <format>', 'file format (default: from the file name)').choices([
        'csv',
        'jsonl',
        'auth0',
      ]),
    )
    .option(
      '--hash-config <file>',
      'JSON with the project hash configuration (Firebase scrypt: signerKey, saltSeparator, rounds, memCost)',
    )
    .option('--dry-run', 'report what would happen and write nothing')
    .option('--region <code>', 'country for phone numbers written without a country code', 'US')
    .option('--time-zone <zone>', 'time zone for patients whose row and cohort give none', 'America/New_York')
    .addOption(
      new Option('--batch-size <rows>', 'rows written per transaction').default(1000).argParser(positiveInt),
    )
    .action(
      run(
        async (
          file: string,
          options: {
            format?: ImportFormat;
            hashConfig?: string;
            dryRun?: boolean;
            region: string;
            timeZone: string;
            batchSize: number;
          },
        ) => {
          if (!existsSync(file)) fail(`causeway: no such file: ${file}`);
          const format =
            options.format ??
            (file.endsWith('.jsonl') || file.endsWith('.ndjson')
              ? 'jsonl'
              : file.endsWith('.json')
                ? 'auth0'
                : 'csv');
          const region = options.region.toUpperCase();
          if (!isSupportedCountry(region))
            fail(`causeway: --region ${options.region} is not a country code such as US or MX`);
          if (!isValidTimeZone(options.timeZone))
            fail(`causeway: --time-zone ${options.timeZone} is not a time zone such as America/New_York`);
          let hashConfig: Record<string, unknown> | undefined;
          if (options.hashConfig) {
            try {
              hashConfig = JSON.parse(readFileSync(options.hashConfig, 'utf8')) as Record<string, unknown>;
            } catch (error) {
              fail(
                `causeway: the hash configuration ${options.hashConfig} could not be read as JSON (${(error as Error).message})`,
              );
            }
          }
          await withServices(async (services) => {
            const bar = progressBar(process.stderr);
            const started = performance.now();
            const summary = await importPatients(
              { db: services.database.db, cipher: services.cipher },
              {
                file,
                format,
                dryRun: Boolean(options.dryRun),
                defaultRegion: region as CountryCode,
                defaultTimeZone: options.timeZone,
                hashConfig,
                batchSize: options.batchSize,
                startedBy: 'cli',
                onProgress: bar.update,
              },
            ).finally(bar.done);
            const seconds = (performance.now() - started) / 1000;
            console.log(
              formatImportSummary(summary, { seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }),
            );
          });
        },
      ),
    );

  importCommand
    .command('legacy-links')
    .description(
      "Import the legacy platform's opaque magic-link tokens, so links already sent keep working until the parallel run ends.",
    )
    .argument(
      '<file>',
      'CSV with a header row: token_sha256 (or token, hashed here and never stored), legacy_id, expires_at (optional)',
    )
    .option('--dry-run', 'report what would happen and write nothing')
    .action(
      run(async (file: string, options: { dryRun?: boolean }) => {
        if (!existsSync(file)) fail(`causeway: no such file: ${file}`);
        await withServices(async (services) => {
          const bar = progressBar(process.stderr);
          const dryRun = Boolean(options.dryRun);
          const summary = await importLegacyLinks({
            db: services.database.db,
            file,
            dryRun,
            onProgress: bar.update,
          })
            .catch((error: unknown) => {
              if (error instanceof UnusableLegacyLinksFile)
                fail(`causeway: cannot import ${file}: ${error.message}`);
              throw error;
            })
            .finally(bar.done);
          console.log(formatLegacyLinkImportSummary(summary, { dryRun, file }));
        });
      }),
    );

  importCommand
    .command('url-rules')
    .description(
      'Import URL rules: where each legacy path sends a patient, per cohort phase. Every row is checked first; one bad row and nothing is written.',
    )
    .argument(
      '<file>',
      'CSV with a header row: source, target, and optionally when (always|before_cutover|after_cutover), status (301|302|303|307|308), note, position',
    )
    .option('--dry-run', 'report what would happen and write nothing')
    .option('--replace', 'also remove the rules the file does not have')
    .action(
      run(async (file: string, options: { dryRun?: boolean; replace?: boolean }) => {
        if (!existsSync(file)) fail(`causeway: no such file: ${file}`);
        await withServices(async (services) => {
          const bar = progressBar(process.stderr);
          const summary = await importUrlRules({
            db: services.database.db,
            file,
            dryRun: Boolean(options.dryRun),
            replace: Boolean(options.replace),
            onProgress: bar.update,
          })
            .catch((error: unknown) => {
              if (error instanceof UnusableUrlRulesFile)
                fail(`causeway: cannot import ${file}: ${error.message}`);
              throw error;
            })
            .finally(bar.done);
          console.log(formatUrlRuleImportReport(summary, { file }));
          if (summary.invalid.length > 0)
            fail(
              `causeway: ${summary.invalid.length} row${summary.invalid.length === 1 ? '' : 's'} of ${file} ${summary.invalid.length === 1 ? 'is' : 'are'} not valid; nothing was written`,
            );
        });
      }),
    );

  importCommand
    .command('crosswalk')
    .description(
      'Import the legacy-to-new id crosswalk that URL rules use to translate old links ({crosswalk:kind:part}).',
    )
    .argument('<file>', 'CSV with a header row: kind (unless --kind is given), legacy_id, new_id')
    .option('--kind <kind>', 'the kind of record (such as appointment) for rows without one')
    .option('--dry-run', 'report what would happen and write nothing')
    .addOption(
      new Option('--batch-size <rows>', 'rows written per transaction').default(5000).argParser(positiveInt),
    )
    .action(
      run(async (file: string, options: { kind?: string; dryRun?: boolean; batchSize: number }) => {
        if (!existsSync(file)) fail(`causeway: no such file: ${file}`);
        await withServices(async (services) => {
          const bar = progressBar(process.stderr);
          const dryRun = Boolean(options.dryRun);
          const summary = await importCrosswalk({
            db: services.database.db,
            file,
            kind: options.kind,
            dryRun,
            batchSize: options.batchSize,
            onProgress: bar.update,
          })
            .catch((error: unknown) => {
              if (error instanceof UnusableCrosswalkFile)
                fail(`causeway: cannot import ${file}: ${error.message}`);
              throw error;
            })
            .finally(bar.done);
          console.log(formatCrosswalkImportSummary(summary, { dryRun, file }));
        });
      }),
    );

  const clients = program
    .command('clients')
    .description('Relying parties (the new platform) that sign patients in here.');
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  clients
    .command('add')
    .description('Register a relying party; prints its client id, and its secret once.')
    .requiredOption('--name <name>', 'the name patients see on the consent screen')
    .requiredOption('--redirect-uri <uri>', 'an exact redirect URI (repeat for several)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where sign-out may return (repeat for several)', collect)
    .option('--initiate-login-uri <uri>', "the client's third-party-initiated login URL")
    .addOption(
      new Option('--type <type>', 'confidential (has a secret) or public (PKCE only)')
        .choices(['confidential', 'public'])
        .makeOptionMandatory(),
    )
    .option('--first-party', 'the new platform itself: patients are not asked to consent')
    .action(
      run(
        async (options: {
          name: string;
          redirectUri: string[];
          postLogoutRedirectUri?: string[];
          initiateLoginUri?: string;
          type: 'confidential' | 'public';
          firstParty?: boolean;
        }) => {
          await withServices(async (services) => {
            const created = await addClient(services.database.db, services.cipher, {
              name: options.name,
              redirectUris: options.redirectUri,
              postLogoutRedirectUris: options.postLogoutRedirectUri ?? [],
              initiateLoginUri: options.initiateLoginUri,
              type: options.type,
              firstParty: Boolean(options.firstParty),
            });
            console.log(
              [
                `Registered "${options.name}".`,
                `  Issuer:        ${services.config.publicUrl}/oidc`,
                `  Client id:     ${created.clientId}`,
                created.clientSecret
                  ? `  Client secret: ${created.clientSecret}   (shown once: store it in the new platform's secret store now)`
                  : '  No secret: a public client proves itself with PKCE.',
              ].join('\n'),
            );
          });
        },
      ),
    );
  clients
    .command('list')
    .description('List registered relying parties (never their secrets).')
    .action(
      run(async () => {
        await withServices(async (services) => {
          const rows = await listClients(services.database.db);
          if (rows.length === 0) {
            console.log('No clients yet. Add one with "causeway clients add".');
            return;
          }
          for (const c of rows)
            console.log(
              [
                `${c.clientId}  ${c.name}  (${c.type}${c.firstParty ? ', first-party' : ''})`,
                ...c.redirectUris.map((u) => `    redirect: ${u}`),
                ...c.postLogoutRedirectUris.map((u) => `    after sign-out: ${u}`),
                ...(c.initiateLoginUri ? [`    initiate login: ${c.initiateLoginUri}`] : []),
              ].join('\n'),
            );
        });
      }),
    );
  clients
    .command('remove')
    .description('Remove a relying party and revoke everything issued to it.')
    .argument('<client-id>')
    .action(
      run(async (clientId: string) => {
        await withServices(async (services) => {
          if (!(await removeClient(services.database.db, clientId)))
            fail(`causeway: no client with the id ${clientId} (see "causeway clients list")`);
          console.log(`Removed ${clientId}; its grants and tokens are revoked.`);
        });
      }),
    );

  const keys = program.command('keys').description('Signing and cookie keys of the OIDC provider.');
  keys
    .command('rotate')
    .description(
      'Add a new signing key: published at once, signing after OIDC_KEY_PUBLISH_MINUTES; the old key stays published until its tokens expire.',
    )
    .option('--cookies', 'rotate the cookie keys instead (the newest signs; the previous two still verify)')
    .action(
      run(async (options: { cookies?: boolean }) => {
        await withServices(async (services) => {
          const { db } = services.database;
          await ensureKeys(db, services.cipher);
          if (options.cookies) {
            const kid = await rotateCookieKey(db, services.cipher);
            console.log(`New cookie key ${kid} signs from now; running servers pick it up within a minute.`);
            return;
          }
          const result = await rotateSigningKey(db, services.cipher, {
            publishLeadMs: services.config.oidc.keyPublishLeadMs,
          });
          console.log(
            [
              `New signing key ${result.kid} is published now and signs from ${result.signsFrom.toISOString()}.`,
              result.retiring.length
                ? `Retiring ${result.retiring.join(', ')} then; it stays published until the tokens it signed expire.`
                : '',
            ]
              .filter(Boolean)
              .join('\n'),
          );
        });
      }),
    );

  // Cohorts and their phases. The module loads when a cohorts command runs (this block is all it adds).
  const cohortService = () => import('./identity/cohorts.ts');
  const cohortsCommand = program
    .command('cohorts')
    .description('Cohorts: list them (the default), add one, move one to another phase.');
  cohortsCommand
    .command('list', { isDefault: true })
    .description('List cohorts with their phase, cutover date and patients per state.')
    .action(
      run(async () => {
        const { allowedMoves, describePhase, listCohorts, patientStates } = await cohortService();
        await withServices(async ({ database }) => {
          const list = await listCohorts(database.db);
          if (list.length === 0) {
            console.log('No cohorts yet. Add one with "causeway cohorts add --name NAME".');
            return;
          }
          const n = (value: number) => value.toLocaleString('en-US');
          const header = [
            'COHORT',
            'PHASE',
            'CUTOVER',
            'PATIENTS',
            ...patientStates.map((s) => s.toUpperCase()),
          ];
          const rows = list.map((c) => [
            c.name,
            describePhase(c),
            c.cutoverDate ?? '-',
            n(c.patients.total),
            ...patientStates.map((s) => n(c.patients[s])),
          ]);
          const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
          const line = (cells: string[]) =>
            cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
          console.log([header, ...rows].map(line).join('\n'));
          console.log('');
          for (const c of list) {
            const changed = c.phaseChangedAt
              ? `phase changed ${c.phaseChangedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
              : 'phase not changed yet';
            const next = allowedMoves(c).map((m) => (m.final ? `${m.to} --final` : m.to));
            console.log(
              `${c.name}: ${changed}; ${next.length ? `can move to ${next.join(', ')}` : 'final, no further moves'}`,
            );
          }
        });
      }),
    );
  cohortsCommand
    .command('add')
    .description('Add a cohort; it starts as pending.')
    .requiredOption('--name <name>', 'the name (as the import file writes it in its cohort column)')
    .option('--cutover-date <date>', 'the planned cutover date, YYYY-MM-DD')
    .option('--description <text>', 'a short description for staff')
    .option(
      '--time-zone <zone>',
      "time zone for this cohort's patients whose record has none",
      'America/New_York',
    )
    .action(
      run(async (options: { name: string; cutoverDate?: string; description?: string; timeZone: string }) => {
        const { createCohort } = await cohortService();
        await withServices(async ({ database }) => {
          const result = await createCohort(
            database.db,
            {
              name: options.name,
              description: options.description,
              cutoverDate: options.cutoverDate,
              defaultTimeZone: options.timeZone,
            },
            { type: 'cli' },
          );
          if (!result.ok) {
            fail(
              {
                invalid_name: 'causeway: --name must be one line of 1 to 80 characters',
                name_taken: `causeway: a cohort named "${options.name.trim()}" already exists`,
                invalid_date: `causeway: --cutover-date ${options.cutoverDate} is not a date written YYYY-MM-DD`,
                invalid_time_zone: `causeway: --time-zone ${options.timeZone} is not a time zone such as America/New_York`,
              }[result.reason],
            );
          }
          const { cohort } = result;
          console.log(
            `Added cohort ${cohort.name} (pending${cohort.cutoverDate ? `, cutover ${cohort.cutoverDate}` : ''}).`,
          );
        });
      }),
    );
  cohortsCommand
    .command('move')
    .description(
      'Move a cohort to another phase (pending → pilot → migrating → cut_over, and rolled_back); audited, effective at once.',
    )
    .argument('<name>', 'the cohort')
    .requiredOption('--to <phase>', 'pilot, migrating, cut_over or rolled_back')
    .option(
      '--final',
      'with --to cut_over: make the cutover final (redirects become permanent; no rollback ever)',
    )
    .action(
      run(async (name: string, options: { to: string; final?: boolean }) => {
        const { cohortPhases, describeRefusal, findCohortByName, moveCohort, phaseLabels } =
          await cohortService();
        const to = cohortPhases.find((phase) => phase === options.to);
        if (!to) fail(`causeway: --to must be one of ${cohortPhases.join(', ')} (not "${options.to}")`);
        await withServices(async ({ database }) => {
          const cohort = await findCohortByName(database.db, name);
          if (!cohort) fail(`causeway: no cohort named "${name}" (see "causeway cohorts")`);
          const final = Boolean(options.final);
          const result = await moveCohort(database.db, {
            cohortId: cohort.id,
            to,
            final,
            actor: { type: 'cli' },
          });
          if (!result.ok) fail(`causeway: ${describeRefusal(result.reason, { to, final }, result.cohort)}`);
          const moved = result.cohort;
          console.log(
            moved.finalAt
              ? `The cutover of ${moved.name} is final: it stays on the new platform and can no longer be rolled back.`
              : `Moved ${moved.name} from ${phaseLabels[cohort.phase]} to ${phaseLabels[moved.phase]}; routing follows it from each patient's next click.`,
          );
        });
      }),
    );

  const audit = program.command('audit').description('The audit log.');
  audit
    .command('verify')
    .description('Check the audit log hash chain; exits non-zero naming the first broken row.')
    .action(
      run(async () => {
        await withServices(async ({ database }) => {
          const result = await verifyAuditChain(database.db);
          if (!result.ok) {
            const what = {
              row_altered: 'was altered',
              row_missing: 'is missing',
              chain_broken: 'does not follow the row before it',
            }[result.reason];
            fail(
              `causeway: audit chain broken: row ${result.seq} ${what} (${result.checked} rows verified before it)`,
            );
          }
          console.log(`Audit chain intact: ${result.checked} events verified.`);
        });
      }),
    );

  return program;
}

await buildCli().parseAsync(process.argv);
