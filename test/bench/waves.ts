// Issue 7's measures: a 100,000-email wave through the real dispatch (ledger claims, pacing, records,
// the pg-boss upkeep) to a local SMTP sink, against raw nodemailer pooled sending of the same messages
// to the same sink in the same run; and a 100,000-SMS wave through the real Twilio SDK to a loopback
// Twilio, paced at its configured rate.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { createDb, type DatabaseHandle } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import { defaultBrand } from '../../emails/brand.ts';
import { fillTransitionTemplate, renderTransitionTemplate } from '../../emails/transition.tsx';
import { createLogger } from '../../infra/logger.ts';
import { createEmailChannel } from '../../messaging/channels/email.ts';
import { createSmsChannel } from '../../messaging/channels/sms.ts';
import { createDeliveryTokens } from '../../messaging/delivery-tokens.ts';
import { createDispatcher } from '../../messaging/waves/dispatch.ts';
import { startWaveRunner } from '../../messaging/waves/runner.ts';
import { createWaves } from '../../messaging/waves/waves.ts';
import { zonesNow } from '../support/waves.ts';

const logger = createLogger({ level: 'warn' });
const publicUrl = 'https://portal.harbor.example';
const from = '"Harbor Health" <no-reply@harbor.example>';
const tokens = createDeliveryTokens('bench-secret-bench-secret-bench-secret-00');

interface Sink {
  url: string;
  report(): Promise<{ messages: number; recipients: number; duplicates: number }>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A bench peer in a child process: its ready message, a way to ask it things, and a way to stop it. */
async function startChild<Ready>(file: string) {
  const child: ChildProcess = fork(path.join(import.meta.dirname, file), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const listener = (message: { type: string } & T) => {
        if (message.type !== type) return;
        child.off('message', listener);
        resolve(message);
      };
      child.on('message', listener);
      child.send({ type });
    });
  const ready = await new Promise<Ready>((resolve) => {
    child.once('message', (message: Ready) => resolve(message));
  });
  const stop = async () => {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  };
  return { ready, ask, stop };
}

async function startSink(): Promise<Sink> {
  const { ready, ask, stop } = await startChild<{ port: number }>('smtp-sink.ts');
  return {
    url: `smtp://127.0.0.1:${ready.port}`,
    report: () => ask('report'),
    reset: () => ask('reset'),
    stop,
  };
}

async function openDatabase(): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = new (await import('pg')).default.Client({ connectionString: url });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS causeway_bench_waves WITH (FORCE)');
    await admin.query('CREATE DATABASE causeway_bench_waves');
    await admin.end();
    const own = new URL(url);
    own.pathname = '/causeway_bench_waves';
    const handle = await createDb({ url: own.toString(), poolSize: 10 });
    await handle.migrate();
    return Object.assign(handle, { benchUrl: own.toString() });
  }
  const handle = await createDb({ dataDir: 'memory://' });
  await handle.migrate();
  return handle;
}

/** A cohort of `n` patients, every one agreeing to email and texts, living in `timeZone`. */
async function seedCohort(db: DatabaseHandle['db'], n: number, timeZone: string) {
  const [cohort] = await queryRows<{ id: string }>(
    db,
    sql`insert into cohorts (name, cutover_date) values (${`bench-${Date.now()}`}, '2027-06-01') returning id`,
  );
  await db.execute(sql`
    insert into patients (legacy_id, email, email_normalized, phone, given_name, locale, time_zone, cohort_id,
                          email_opt_in, sms_opt_in)
    select 'B' || i, 'p' || i || '@bench.example', 'p' || i || '@bench.example',
           '+1212' || lpad(i::text, 7, '0'), 'Maria', case when i % 4 = 0 then 'es' else 'en' end::patient_locale,
           ${timeZone}, ${cohort!.id}, true, true
    from generate_series(1, ${n}) as i`);
  return cohort!.id;
}

async function approveWave(
  db: DatabaseHandle['db'],
  cohortId: string,
  channel: 'email' | 'sms',
  smsPerSecond: number,
) {
  const waves = createWaves({ db, rates: { emailPerSecond: 1e6, smsPerSecond }, smsSegments: () => 2 });
  const created = await waves.create(
    { type: 'cli' },
    {
      cohortId,
      name: `bench ${channel}`,
      stage: 'announcement',
      channels: [channel],
      timing: new Date(Date.now() - 60_000).toISOString(),
    },
  );
  if (!created.ok) throw new Error('wave not created');
  const started = performance.now();
  const approved = await waves.approve({ type: 'system' }, created.wave.id);
  if (!approved.ok) throw new Error(`wave not approved: ${approved.reason}`);
  return { waves, waveId: created.wave.id, approveMs: performance.now() - started };
}

async function waitDrained(db: DatabaseHandle['db'], waveId: string) {
  for (;;) {
    const [row] = await queryRows<{ open: number }>(
      db,
      sql`select count(*)::int as open from wave_deliveries where wave_id = ${waveId} and state in ('pending', 'claimed', 'sending')`,
    );
    if (!row!.open) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function ledgerStates(db: DatabaseHandle['db'], waveId: string) {
  const rows = await queryRows<{ state: string; n: number }>(
    db,
    sql`select state::text as state, count(*)::int as n from wave_deliveries where wave_id = ${waveId} group by 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

export async function benchWaves(
  options: { emails?: number; texts?: number; smsRate?: number; batch?: number; lanes?: number } = {},
): Promise<string[]> {
  const emails = options.emails ?? 100_000;
  const texts = options.texts ?? 100_000;
  const smsRate = options.smsRate ?? 1_000;
  const batch = options.batch ?? 250;
  const lanes = options.lanes ?? 3;
  const lines: string[] = [];
  const kind = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite (in process)';

  // --- Email ---
  const sink = await startSink();
  const database = await openDatabase();
  try {
    // Baseline: the same messages (the wave's own template, filled per patient) through raw nodemailer
    // pooled SMTP with the transport settings the email channel uses.
    const template = await renderTransitionTemplate({
      stage: 'announcement',
      brand: defaultBrand,
      locale: 'en',
      cutoverDate: '2027-06-01',
      afterCutover: false,
      portalUrl: publicUrl,
      assetBaseUrl: publicUrl,
    });
    const transport = nodemailer.createTransport({ url: sink.url, pool: true });
    const baselineStarted = performance.now();
    let next = 1;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next <= emails) {
          const i = next++;
          const filled = fillTransitionTemplate(
            template,
            {
              link: `${publicUrl}/cw/${tokens.issue('open', i)}`,
              unsubscribeUrl: `${publicUrl}/unsubscribe/${tokens.issue('unsubscribe', i)}`,
              givenName: 'Maria',
            },
            'en',
          );
          await transport.sendMail({
            from,
            to: `p${i}@bench.example`,
            subject: filled.subject,
            html: filled.html,
            text: filled.text,
          });
        }
      }),
    );
    const baselineSeconds = (performance.now() - baselineStarted) / 1000;
    transport.close();
    const baselineReport = await sink.report();
    await sink.reset();

    const cohortId = await seedCohort(database.db, emails, 'America/New_York');
    const email = createEmailChannel({ smtpUrl: sink.url, from, db: database.db, logger });
    const sms = createSmsChannel({ twilio: null, db: database.db, logger });
    const dispatcher = createDispatcher({
      db: database.db,
      email,
      sms,
      tokens,
      brand: defaultBrand,
      publicUrl,
      mailFrom: from,
      unsubscribeAddress: 'unsubscribe@harbor.example',
      settings: { rates: { email: 1e6, sms: 1 }, concurrency: batch, claimStaleMs: 120_000, maxAttempts: 5 },
      logger,
    });
    // The workers are up (pg-boss started, loops idle) before the wave is approved, as in production.
    const runner = await startWaveRunner({
      database,
      databaseUrl: (database as { benchUrl?: string }).benchUrl,
      dispatcher,
      waves: createWaves({
        db: database.db,
        rates: { emailPerSecond: 1e6, smsPerSecond: 1 },
        smsSegments: () => 2,
      }),
      breaker: { windowMs: 15 * 60_000, signInFailureRate: 0.5, optOutRate: 0.02, minSample: 50 },
      logger,
      lanes: { email: lanes, sms: 0 },
    });
    const { waveId, approveMs } = await approveWave(database.db, cohortId, 'email', 1);
    const waveStarted = performance.now();
    runner.wake();
    await waitDrained(database.db, waveId);
    const waveSeconds = (performance.now() - waveStarted) / 1000;
    await runner.stop();
    await email.close();
    const waveReport = await sink.report();
    const states = await ledgerStates(database.db, waveId);

    const baseRate = emails / baselineSeconds;
    const waveRate = emails / waveSeconds;
    const ratio = waveRate / baseRate;
    const lost = emails - waveReport.recipients;
    lines.push(
      `### Waves: ${emails.toLocaleString('en-US')} emails to a local SMTP sink (${kind}; sink in its own process)`,
    );
    lines.push('');
    lines.push('| measure | figure | baseline (same run) | ratio | target |');
    lines.push('| --- | ---: | --- | ---: | --- |');
    lines.push(
      `| wave emails /s | ${waveRate.toFixed(0)} (${waveSeconds.toFixed(1)} s) | raw nodemailer pooled ${baseRate.toFixed(0)} /s (${baselineSeconds.toFixed(1)} s) | ${(ratio * 100).toFixed(0)} % | ≥ 70 % ${ratio >= 0.7 ? 'met' : 'MISSED'} |`,
    );
    lines.push(
      `| duplicates / lost at the sink | ${waveReport.duplicates} / ${lost} (${waveReport.messages} messages, ${waveReport.recipients} recipients) | baseline ${baselineReport.duplicates} / ${emails - baselineReport.recipients} | — | 0 / 0 ${waveReport.duplicates === 0 && lost === 0 ? 'met' : 'MISSED'} |`,
    );
    lines.push(
      `| ledger after the wave | ${Object.entries(states)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')} | — | — | — |`,
    );
    lines.push(
      `| approval (audience, send times, ${emails.toLocaleString('en-US')} ledger rows) | ${(approveMs / 1000).toFixed(1)} s | — | — | — |`,
    );
    lines.push('');
    lines.push(
      `Both sides send the same filled template (the wave renders it once per language and fills it per patient) through nodemailer pooled SMTP with its default 5 connections; the wave adds the ledger claims, the shared pacing row, the records and the \`notified\` state, with ${lanes} dispatch loops claiming ${batch} at a time (\`WAVE_WORKER_CONCURRENCY\`).`,
    );
    lines.push('');
  } finally {
    await database.close();
    await sink.stop();
  }

  // --- SMS ---
  if (!texts) return lines;
  const twilioChild = await startChild<{ baseUrl: string; accountSid: string; authToken: string }>(
    'twilio-sink.ts',
  );
  const twilio = twilioChild.ready;
  const smsDb = await openDatabase();
  try {
    // A zone where it is daytime now (texts may go), so the pacing is not cut by quiet hours.
    const zone = zonesNow().day;
    const cohortId = await seedCohort(smsDb.db, texts, zone);
    const { waveId } = await approveWave(smsDb.db, cohortId, 'sms', smsRate);
    const sms = createSmsChannel({
      twilio: {
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        messagingServiceSid: undefined,
        fromNumber: '+15550100100',
        apiBaseUrl: twilio.baseUrl,
      },
      db: smsDb.db,
      logger,
    });
    const email = createEmailChannel({ smtpUrl: undefined, from, db: smsDb.db, logger });
    const dispatcher = createDispatcher({
      db: smsDb.db,
      email,
      sms,
      tokens,
      brand: defaultBrand,
      publicUrl,
      mailFrom: from,
      settings: {
        rates: { email: 1, sms: smsRate },
        concurrency: 200,
        claimStaleMs: 120_000,
        maxAttempts: 5,
      },
      logger,
    });
    const runner = await startWaveRunner({
      database: smsDb,
      databaseUrl: (smsDb as { benchUrl?: string }).benchUrl,
      dispatcher,
      waves: createWaves({
        db: smsDb.db,
        rates: { emailPerSecond: 1, smsPerSecond: smsRate },
        smsSegments: () => 2,
      }),
      breaker: { windowMs: 15 * 60_000, signInFailureRate: 0.5, optOutRate: 0.02, minSample: 50 },
      logger,
      lanes: { email: 0, sms: 3 },
    });
    await waitDrained(smsDb.db, waveId);
    await runner.stop();
    await sms.close();
    const states = await ledgerStates(smsDb.db, waveId);
    const { texts: received } = await twilioChild.ask<{ texts: [number, string, number][] }>('report');
    received.sort((x, y) => x[0] - y[0]);
    const times = received.map((t) => t[0]);
    const segments = received.reduce((sum, t) => sum + t[2], 0);
    const perText = received[0]![2];
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    // Segments after the first message, over the time from the first to the last.
    const achieved = (segments - perText) / seconds;
    const deviation = achieved / smsRate - 1;
    const unique = new Set(received.map((t) => t[1])).size;
    // Steadiness: the rate over each 10-second window (whole windows only).
    const windows: number[] = [];
    let cursor = 0;
    for (let start = times[0]!; start + 10_000 <= times.at(-1)!; start += 10_000) {
      let inWindow = 0;
      while (cursor < received.length && received[cursor]![0] < start + 10_000)
        inWindow += received[cursor++]![2];
      windows.push(inWindow / 10);
    }
    const worst = windows.length ? Math.max(...windows.map((w) => Math.abs(w / smsRate - 1))) : 0;
    lines.push(
      `### Waves: ${texts.toLocaleString('en-US')} texts through the Twilio SDK to a loopback Twilio (${kind}; Twilio in its own process)`,
    );
    lines.push('');
    lines.push('| measure | figure | configured | deviation | target |');
    lines.push('| --- | ---: | ---: | ---: | --- |');
    lines.push(
      `| pace, segments /s (first to last request) | ${achieved.toFixed(1)} (${received.length.toLocaleString('en-US')} texts, ${segments.toLocaleString('en-US')} segments in ${seconds.toFixed(1)} s) | ${smsRate} | ${(deviation * 100).toFixed(2)} % | ±5 % ${Math.abs(deviation) <= 0.05 ? 'met' : 'MISSED'} |`,
    );
    lines.push(`| worst 10-second window | ${(worst * 100).toFixed(1)} % off | — | — | — |`);
    lines.push(
      `| duplicates / lost | ${received.length - unique} / ${texts - unique} | — | — | 0 / 0 ${received.length === unique && unique === texts ? 'met' : 'MISSED'} |`,
    );
    lines.push(
      `| ledger after the wave | ${Object.entries(states)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')} | — | — | — |`,
    );
    lines.push('');
    lines.push(
      `The configured rate counts segments, as Twilio's throughput does (each of these texts is ${perText} segments); 3 dispatch loops share it through the pacing row, each message timed within its batch's reserved slot. Recipients live in ${zone}, where it is daytime during the run.`,
    );
    lines.push('');
  } finally {
    await smsDb.close();
    await twilioChild.stop();
  }
  return lines;
}
