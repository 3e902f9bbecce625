import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { Child, failChild, serveParent } from './lib/child.js';
import {
  type BenchResult,
  benchEnv,
  int,
  log,
  median,
  parseOptions,
  round,
  sleep,
  tempDir,
  wallMs,
} from './lib/common.js';
import { createBenchDatabase } from './lib/db.js';
import { cpuSeconds, rssMb } from './lib/procstat.js';

/*
 * Marketing mail throughput through the whole path, on PostgreSQL: `startBulkSend` of a
 * personalised MJML template to 20,000 contacts with confirmed consent → the mail.enqueue-send job
 * pages through the audience (1,000 per page) and writes messages and batch jobs → worker
 * processes (`startLeadwerk({ worker: true })`, production settings) run the send-time check
 * (consent via getSendPermission, suppression, imprint), render (MJML compiled once per template
 * version, Liquid per recipient), DKIM-sign, send over their SMTP pool to a local smtp-server
 * sink, and record each status. Timed from startBulkSend until every message has its final status.
 *
 * Baseline, in the same run against the same sink: one process with plain pooled nodemailer
 * (same pool size) sending the same message, rendered once beforehand, DKIM-signed by nodemailer
 * with the same key, 20,000 times. The sink runs in its own process without smtp-server's 100 ms
 * early-talker delay and without reverse DNS lookups, and only counts what it receives.
 *
 * value = mails/s of ours with `--workers` processes (default: 1 and 2; the last is the headline),
 * ratio = ours / baseline (median of the baseline rounds around it). Memory: peak RSS of each
 * worker process, sampled every 200 ms, and its RSS after the first and the last quarter of the
 * run (flat means the path streams recipients instead of loading them all).
 */

export const description =
  'Marketing mails/s end to end (consent, MJML+Liquid, DKIM, SMTP sink, status) vs pooled nodemailer';

export const usage = `Options:
  --recipients N       contacts with consent to mail (default 20000)
  --workers 1,2        worker process counts to measure, in order; the last is the headline (default 1,2)
  --baseline-rounds N  nodemailer baseline rounds around each of ours (default 2)
  --pool N             SMTP connections per process, ours and the baseline (default 5)
  --cpu-prof DIR       write a V8 CPU profile of each worker process into DIR
Needs PostgreSQL on 127.0.0.1 (DATABASE_URL, default postgres@127.0.0.1:5432); at ~20 mails/s on a loaded machine,
--recipients 4000 takes about 10 minutes.`;

const ROLE = process.env.BENCH_SEND_ROLE;
const SELF = '../send.ts';

const TEMPLATE_MJML = `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text font-size="22px" font-weight="700">Hallo {{ contact.first_name | default: "liebe Leserin, lieber Leser" }},</mj-text>
    <mj-text>im November dreht sich bei uns alles um vorausschauende Instandhaltung. Für
      {% if contact.company_name %}{{ contact.company_name }}{% else %}Ihr Unternehmen{% endif %} haben wir die
      wichtigsten Ergebnisse aus 40 Kundenprojekten zusammengefasst: weniger Stillstand, planbare Wartung,
      messbare Einsparungen.</mj-text>
    <mj-button href="https://nordlicht.example/whitepaper/instandhaltung?utm_source=newsletter&amp;utm_medium=email">Whitepaper herunterladen</mj-button>
    <mj-text>Außerdem: Am 12. Dezember zeigen wir im Webinar, wie Sie Sensordaten Ihrer Anlagen in 30 Tagen
      nutzbar machen. Die Teilnahme ist kostenlos.</mj-text>
    <mj-button href="https://nordlicht.example/webinar?utm_source=newsletter" background-color="#2f9e44">Zum Webinar anmelden</mj-button>
  </mj-column>
</mj-section>
<mj-section background-color="#ffffff" padding="0 0 24px">
  <mj-column><mj-text font-size="14px" color="#4a5360">Viele Grüße<br />Ihr Team von Nordlicht Maschinenbau</mj-text></mj-column>
  <mj-column><mj-text font-size="14px" color="#4a5360">Fragen? Antworten Sie einfach auf diese E-Mail.</mj-text></mj-column>
</mj-section>`;

const IMPRINT =
  'Nordlicht Maschinenbau GmbH\nHafenstraße 12, 20457 Hamburg\nGeschäftsführung: Katrin Vogel\nHRB 123456, Amtsgericht Hamburg\nUSt-IdNr. DE123456789';

// ---------------------------------------------------------------------------------------------
// Children

/** The SMTP sink: accepts everything, counts, keeps nothing. */
async function sinkMain(): Promise<void> {
  // No 100 ms wait before the greeting (smtp-server's early-talker check): connect and go.
  const proto = SMTPConnection.prototype as unknown as {
    init(): void;
    _setListeners(cb: () => void): void;
    connectionReady(): void;
  };
  proto.init = function init(this: typeof proto) {
    this._setListeners(() => this.connectionReady());
  };
  let received = 0;
  let bytes = 0;
  let lastAt = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, _session, callback) {
      stream.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      stream.on('end', () => {
        received++;
        lastAt = wallMs();
        callback(null, 'queued');
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  serveParent(
    { port },
    {
      count: () => ({ received, bytes, lastAt }),
      reset: () => {
        received = 0;
        bytes = 0;
      },
    },
    async () => {
      server.close();
    },
  );
}

interface BaselineArg {
  port: number;
  count: number;
  poolSize: number;
  inFlight: number;
  mail: { from: string; to: string[]; subject: string; html: string; text: string; unsubscribe: string };
  dkim: { domainName: string; keySelector: string; privateKey: string };
}

/** Plain pooled nodemailer, DKIM-signed by nodemailer: the same message `count` times. */
async function baselineMain(): Promise<void> {
  serveParent(
    {},
    {
      async run(arg: BaselineArg) {
        const transport = nodemailer.createTransport({
          pool: true,
          host: '127.0.0.1',
          port: arg.port,
          secure: false,
          ignoreTLS: true,
          maxConnections: arg.poolSize,
          maxMessages: 1000,
          dkim: arg.dkim,
        });
        const started = wallMs();
        let next = 0;
        let failed = 0;
        const lanes = Array.from({ length: arg.inFlight }, async () => {
          while (next < arg.count) {
            const i = next++;
            try {
              await transport.sendMail({
                from: arg.mail.from,
                to: arg.mail.to[i % arg.mail.to.length],
                subject: arg.mail.subject,
                html: arg.mail.html,
                text: arg.mail.text,
                headers: {
                  'List-Unsubscribe': `<${arg.mail.unsubscribe}>`,
                  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                },
              });
            } catch {
              failed++;
            }
          }
        });
        await Promise.all(lanes);
        const seconds = (wallMs() - started) / 1000;
        transport.close();
        return { seconds, failed };
      },
    },
  );
}

/** A worker process as production runs it: `leadwerk worker` (startLeadwerk without HTTP). */
async function workerMain(): Promise<void> {
  const [databaseUrl, dataDir, smtpUrl] = process.argv.slice(2);
  const { startLeadwerk } = await import('../src/server.js');
  const { loadConfig } = await import('../src/shared/config.js');
  const extra: Record<string, string> = { SMTP_URL: smtpUrl!, PUBLIC_URL: 'https://leadwerk.example' };
  for (const k of ['WORKER_CONCURRENCY', 'DATABASE_POOL_SIZE', 'SMTP_POOL_SIZE', 'LOG_LEVEL']) {
    if (process.env[k]) extra[k] = process.env[k]!;
  }
  const config = loadConfig(benchEnv({ dataDir: dataDir!, databaseUrl, extra }));
  const running = await startLeadwerk({ config, api: false, worker: true, migrate: false });
  serveParent(
    { pid: process.pid, concurrency: config.workerConcurrency, smtpPool: config.smtpPoolSize },
    { rss: () => process.memoryUsage().rss / 1048576 },
    () => running.stop(),
  );
}

// ---------------------------------------------------------------------------------------------
// Parent

/** CPU seconds so far of each PostgreSQL backend of this database, by pid. */
async function backendCpu(db: import('../src/shared/db/index.js').Db): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(
    db,
  );
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}

interface Setup {
  workspaceId: string;
  templateId: string;
  userId: string;
}

async function seed(
  db: import('../src/shared/db/index.js').Db,
  n: number,
  keyPem: string,
  publicKey: string,
  secret: string,
): Promise<Setup> {
  const { createWorkspaceIn } = await import('../src/modules/workspaces/index.js');
  const { systemActor } = await import('../src/shared/actor.js');
  const { newId, uuidV7Sql } = await import('../src/shared/ids.js');
  const { encryptSecret } = await import('../src/modules/mail/key-encryption.js');
  const ws = await createWorkspaceIn(db, systemActor(), { name: 'Nordlicht Maschinenbau GmbH' });
  // Contacts across 40 destination domains, most with a first name, some with a company.
  await sql`
    INSERT INTO contacts (id, workspace_id, email, email_normalized, first_name, company_name, locale)
    SELECT ${uuidV7Sql(new Date(), sql`i`)}, ${ws.id}, 'leser' || i || '@kunde' || (i % 40) || '.example',
           'leser' || i || '@kunde' || (i % 40) || '.example',
           CASE WHEN i % 5 = 0 THEN NULL ELSE (ARRAY['Anna','Jonas','Lea','Lukas','Mia','Paul','Emma','Ben'])[1 + i % 8] END,
           CASE WHEN i % 3 = 0 THEN 'Kunde ' || i || ' GmbH' ELSE NULL END,
           'de'
      FROM generate_series(1, ${n}) AS i`.execute(db);
  await sql`
    INSERT INTO consents (workspace_id, contact_id, purpose, status, requested_at, confirmed_at)
    SELECT workspace_id, id, 'newsletter', 'confirmed', now(), now() FROM contacts WHERE workspace_id = ${ws.id}`.execute(
    db,
  );
  await sql`ANALYZE contacts`.execute(db);
  await sql`ANALYZE consents`.execute(db);
  await db
    .insertInto('mail_settings')
    .values({
      workspace_id: ws.id,
      from_name: 'Nordlicht Maschinenbau',
      from_email: 'news@nordlicht.example',
      imprint: IMPRINT,
      updated_at: new Date(),
    })
    .execute();
  await db
    .insertInto('sending_domains')
    .values({
      id: newId(),
      workspace_id: ws.id,
      domain: 'nordlicht.example',
      dkim_selector: 'lw2026',
      dkim_private_key: encryptSecret(secret, keyPem, `${ws.id}:nordlicht.example`),
      dkim_public_key: publicKey,
      return_path_domain: 'bounces.nordlicht.example',
      created_by: null,
      created_at: new Date(),
    })
    .execute();
  const templateId = newId();
  await db
    .insertInto('mail_templates')
    .values({
      id: templateId,
      workspace_id: ws.id,
      name: 'Newsletter November',
      kind: 'marketing',
      purpose: 'newsletter',
    })
    .execute();
  await db
    .insertInto('mail_template_variants')
    .values({
      workspace_id: ws.id,
      template_id: templateId,
      locale: 'de',
      subject: '{{ contact.first_name | default: "Neu" }}: Whitepaper Instandhaltung und Webinar-Einladung',
      preheader: 'Ergebnisse aus 40 Kundenprojekten',
      body_mjml: TEMPLATE_MJML,
    })
    .execute();
  return { workspaceId: ws.id, templateId, userId: '' };
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    recipients: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '1,2' },
    'baseline-rounds': { type: 'string', default: '2' },
    pool: { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
  });
  const n = int(opts.recipients, 'recipients');
  const workerCounts = opts.workers.split(',').map((w) => int(w, 'workers'));
  const baselineRounds = int(opts['baseline-rounds'], 'baseline-rounds');
  const poolSize = int(opts.pool, 'pool');
  const dataDir = tempDir('send');
  const database = await createBenchDatabase();
  const children: Child[] = [];
  const { openDeps } = await import('../src/server.js');
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/log.js');
  const env = benchEnv({ dataDir: dataDir.dir, databaseUrl: database.url });
  const config = loadConfig(env);
  const deps = await openDeps({ config, log: createLogger('warn') });
  try {
    log(`seeding ${n} contacts with consent on PostgreSQL`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const setup = await seed(
      deps.db,
      n,
      keyPem,
      publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      config.secretKey,
    );

    const sink = new Child<{ port: number }>('sink', SELF, [], {
      env: { ...process.env, BENCH_SEND_ROLE: 'sink' },
    });
    children.push(sink);
    const { port } = await sink.ready;
    const smtpUrl = `smtp://127.0.0.1:${port}?tls=off`;

    // The baseline's message: our template rendered once for one contact, as a finished mail.
    const { MailRenderer, templateScope } = await import('../src/modules/mail/render/renderer.js');
    const renderer = new MailRenderer();
    const compiled = await renderer.compile(
      { kind: 'marketing' },
      {
        locale: 'de',
        subject: '{{ contact.first_name | default: "Neu" }}: Whitepaper Instandhaltung und Webinar-Einladung',
        preheader: 'Ergebnisse aus 40 Kundenprojekten',
        body_mjml: TEMPLATE_MJML,
      },
      { accent_color: '#1c7ed6', logo_url: null },
    );
    const unsubscribe = 'https://leadwerk.example/u/AbCdEfGhIjKlMnOpQrStUvWx';
    const rendered = renderer.render(
      compiled,
      templateScope({
        contact: {
          email: 'leser1@kunde1.example',
          first_name: 'Anna',
          last_name: null,
          company_name: 'Kunde 1 GmbH',
          job_title: null,
          country: null,
          locale: 'de',
          custom_fields: {},
        },
        workspaceName: 'Nordlicht Maschinenbau GmbH',
        settings: { logo_url: null, imprint: IMPRINT },
        unsubscribeUrl: unsubscribe,
        variables: null,
      }),
    );
    const baselineArg: BaselineArg = {
      port,
      count: n,
      poolSize,
      inFlight: 50,
      mail: {
        from: '"Nordlicht Maschinenbau" <news@nordlicht.example>',
        to: Array.from({ length: 40 }, (_, i) => `leser${i}@kunde${i}.example`),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        unsubscribe,
      },
      dkim: { domainName: 'nordlicht.example', keySelector: 'lw2026', privateKey: keyPem },
    };
    log(`message: ${rendered.html.length} characters of HTML, ${rendered.text.length} of text`);
    const baseline = new Child('baseline', SELF, [], {
      env: { ...process.env, BENCH_SEND_ROLE: 'baseline' },
    });
    children.push(baseline);
    await baseline.ready;

    const baselineRates: number[] = [];
    async function baselineRound(): Promise<number> {
      await sink.call('reset');
      const cpu0 = cpuSeconds(baseline.pid);
      const r = await baseline.call<{ seconds: number; failed: number }>('run', baselineArg, 600_000);
      if (r.failed > 0) throw new Error(`baseline: ${r.failed} sends failed`);
      const got = await sink.call<{ received: number }>('count');
      if (got.received !== n) throw new Error(`baseline: sink got ${got.received} of ${n}`);
      const rate = n / r.seconds;
      log(
        `baseline: ${round(rate)} mails/s (${round(((cpuSeconds(baseline.pid) - cpu0) * 1000) / n, 3)} ms CPU per mail in nodemailer)`,
      );
      baselineRates.push(rate);
      return rate;
    }

    // Warm-up of the baseline (JIT, connections): a tenth of the run.
    await baseline.call('run', { ...baselineArg, count: Math.max(500, Math.floor(n / 10)) }, 600_000);

    const { startBulkSend } = await import('../src/modules/mail/index.js');
    const { systemActor } = await import('../src/shared/actor.js');
    const results: Record<string, unknown>[] = [];
    let headline = 0;
    let headlineRatio = 0;
    for (const workers of workerCounts) {
      for (let r = 0; r < Math.max(1, baselineRounds - 1); r++) await baselineRound();
      const ws = Array.from(
        { length: workers },
        (_, i) =>
          new Child<{ pid: number; concurrency: number; smtpPool: number }>(
            `worker ${i + 1}`,
            SELF,
            [database.url, dataDir.dir, smtpUrl],
            {
              execArgv: opts['cpu-prof']
                ? ['--cpu-prof', `--cpu-prof-dir=${opts['cpu-prof']}/worker${workers}-${i + 1}`]
                : [],
              env: {
                ...process.env,
                BENCH_SEND_ROLE: 'worker',
                SMTP_POOL_SIZE: String(poolSize),
                DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10',
              },
            },
          ),
      );
      children.push(...ws);
      const infos = await Promise.all(ws.map((w) => w.ready));
      await sql`VACUUM (ANALYZE) messages`.execute(deps.db);
      await sql`VACUUM (ANALYZE) jobs`.execute(deps.db);
      await sink.call('reset');
      const cpu0 = ws.map((w) => cpuSeconds(w.pid));
      const pg0 = await backendCpu(deps.db);
      const sink0 = cpuSeconds(sink.pid);
      const started = wallMs();
      const send = await startBulkSend(deps.db, deps, systemActor('bench'), setup.workspaceId, {
        templateId: setup.templateId,
      });
      const rss: number[][] = ws.map(() => []);
      let done = 0;
      let lastProgress = wallMs();
      for (;;) {
        await sleep(200);
        ws.forEach((w, i) => {
          rss[i]!.push(rssMb(w.pid));
        });
        const row = await sql<{ n: string; bad: string }>`
          SELECT count(*) FILTER (WHERE status IN ('delivered', 'skipped', 'failed', 'bounced')) AS n,
                 count(*) FILTER (WHERE status IN ('skipped', 'failed', 'bounced', 'deferred')) AS bad
            FROM messages WHERE send_id = ${send.id}`.execute(deps.db);
        const now = Number(row.rows[0]!.n);
        if (Number(row.rows[0]!.bad) > 0) throw new Error(`${row.rows[0]!.bad} messages not delivered`);
        if (now > done) lastProgress = wallMs();
        done = now;
        if (done >= n) break;
        if (wallMs() - lastProgress > 60_000) throw new Error(`stalled at ${done} of ${n}`);
      }
      const seconds = (wallMs() - started) / 1000;
      const cpu = ws.map((w, i) => cpuSeconds(w.pid) - cpu0[i]!);
      const pgCpu = cpuSince(pg0, await backendCpu(deps.db));
      const sinkCpu = cpuSeconds(sink.pid) - sink0;
      const got = await sink.call<{ received: number }>('count');
      if (got.received !== n) throw new Error(`sink got ${got.received} of ${n}`);
      const rate = n / seconds;
      await Promise.all(ws.map((w) => w.stop()));
      const base = await baselineRound();
      const around = median(baselineRates.slice(-Math.max(2, baselineRounds)));
      const ratio = rate / around;
      const quarter = (xs: number[], q: number) => {
        const k = Math.max(1, Math.floor(xs.length / 4));
        return round(median(q === 0 ? xs.slice(0, k) : xs.slice(-k)), 1);
      };
      const result = {
        workers,
        mails_per_s: round(rate),
        baseline_mails_per_s: round(around),
        ratio: round(ratio, 3),
        seconds: round(seconds, 2),
        worker_cpu_ms_per_mail: round((cpu.reduce((a, b) => a + b, 0) * 1000) / n, 3),
        postgres_cpu_ms_per_mail: round((pgCpu * 1000) / n, 3),
        sink_cpu_ms_per_mail: round((sinkCpu * 1000) / n, 3),
        rss_mb: ws.map((_, i) => ({
          first_quarter: quarter(rss[i]!, 0),
          last_quarter: quarter(rss[i]!, 1),
          peak: round(Math.max(...rss[i]!), 1),
        })),
        settings: infos[0],
      };
      log(
        `ours, ${workers} worker process(es): ${round(rate)} mails/s = ${round(ratio, 3)} × baseline (${round(base)})`,
      );
      results.push(result);
      headline = rate;
      headlineRatio = ratio;
      await sql`DELETE FROM messages WHERE send_id = ${send.id}`.execute(deps.db);
    }
    return {
      bench: 'send',
      value: round(headline),
      unit: 'mails/s',
      baseline: round(median(baselineRates)),
      ratio: round(headlineRatio, 3),
      recipients: n,
      smtp_pool: poolSize,
      rounds: results,
      targets: { one_worker: 0.7, two_workers: 1.3 },
    };
  } finally {
    await Promise.all(children.map((c) => c.stop().catch(() => {})));
    await deps.handle.close();
    await database.drop();
    dataDir.remove();
  }
}

if (ROLE && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const main = ROLE === 'sink' ? sinkMain : ROLE === 'baseline' ? baselineMain : workerMain;
  main().catch(failChild);
}
