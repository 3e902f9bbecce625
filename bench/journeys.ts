import { sql } from 'kysely';
import { Child } from './lib/child.js';
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

/*
 * Journeys at scale, on PostgreSQL with worker processes as production runs them (`leadwerk
 * worker`, bench/send.ts's worker role): N contacts with consent enter a journey at once through
 * its segment-entry trigger (activation → journeys.enroll-segment pages the segment, 1,000 per job)
 * and pass a send-mail step (marketing template, consent checked at send time, SMTP to the local
 * sink of bench/send.ts) and a branch. Timed from activation until every contact has completed the
 * journey and every message has its final status.
 *
 * Baseline, in the same run, same database, same workers and sink: the mail module's own bulk send
 * (`startBulkSend`) of the same template to the same contacts, timed until every message is final.
 * value = contacts/s through the journey (largest size), ratio = ours / baseline (higher is better;
 * 0.77 means the journey adds 30 %). `--sizes` runs several sizes to show how the time grows.
 */

export const description =
  'Contacts/s through a journey (segment entry → mail → branch) vs the bulk send of the same mails';

export const usage = `Options:
  --sizes 500,2000   contact counts, in order; the last is the headline (default 500,2000)
  --workers N        worker processes (default 2)
  --no-mail          the journey without its send-mail step (entry and branch only: the runner's own cost)
Needs PostgreSQL on 127.0.0.1 (DATABASE_URL). The issue's sizes (10,000 / 100,000 / 1,000,000) take
hours on a loaded two-core machine at its mail rate; pass them with --sizes where there is time.`;

const TEMPLATE = `<mj-section><mj-column><mj-text>Hallo {{ contact.first_name | default: "liebe Leserin, lieber Leser" }},
  hier ist Ihr Whitepaper zur Instandhaltung.</mj-text></mj-column></mj-section>`;

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    sizes: { type: 'string', default: '500,2000' },
    workers: { type: 'string', default: '2' },
    'no-mail': { type: 'boolean', default: false },
  });
  const withMail = !opts['no-mail'];
  const sizes = opts.sizes.split(',').map((s) => int(s, 'sizes'));
  const workerCount = int(opts.workers, 'workers');
  const dataDir = tempDir('journeys');
  const database = await createBenchDatabase();
  const children: Child[] = [];
  const { openDeps } = await import('../src/server.js');
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/log.js');
  const { systemActor } = await import('../src/shared/actor.js');
  const { newId } = await import('../src/shared/ids.js');
  const { createWorkspaceIn } = await import('../src/modules/workspaces/index.js');
  const { startBulkSend } = await import('../src/modules/mail/index.js');
  const { activateJourney, createJourney } = await import('../src/modules/journeys/journeys.service.js');
  const config = loadConfig(benchEnv({ dataDir: dataDir.dir, databaseUrl: database.url }));
  const deps = await openDeps({ config, log: createLogger('warn') });
  const actor = systemActor('bench');
  try {
    const sink = new Child<{ port: number }>('sink', '../send.ts', [], {
      env: { ...process.env, BENCH_SEND_ROLE: 'sink' },
    });
    children.push(sink);
    const { port } = await sink.ready;
    const smtpUrl = `smtp://127.0.0.1:${port}?tls=off`;
    // One after the other: two processes starting at once race to create the bootstrap admin.
    for (let i = 0; i < workerCount; i++) {
      const w = new Child(`worker ${i + 1}`, '../send.ts', [database.url, dataDir.dir, smtpUrl], {
        env: {
          ...process.env,
          BENCH_SEND_ROLE: 'worker',
          DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10',
        },
      });
      children.push(w);
      await w.ready;
    }

    async function waitFor(what: string, total: number, count: () => Promise<number>): Promise<void> {
      let done = 0;
      let last = wallMs();
      for (;;) {
        await sleep(200);
        const now = await count();
        if (now > done) last = wallMs();
        done = now;
        if (done >= total) return;
        if (wallMs() - last > 120_000) throw new Error(`${what}: stalled at ${done} of ${total}`);
      }
    }

    const rows: Record<string, unknown>[] = [];
    for (const n of sizes) {
      log(`size ${n}: seeding a workspace with ${n} consented contacts`);
      const ws = await createWorkspaceIn(deps.db, actor, { name: `Bench ${n}` });
      await sql`INSERT INTO contacts (id, workspace_id, email, email_normalized, first_name, country, locale)
        SELECT gen_random_uuid(), ${ws.id}, 'leser' || i || '@kunde' || (i % 40) || '.example',
               'leser' || i || '@kunde' || (i % 40) || '.example', 'Anna', CASE WHEN i % 2 = 0 THEN 'DE' ELSE 'AT' END, 'de'
          FROM generate_series(1, ${n}) AS i`.execute(deps.db);
      await sql`INSERT INTO consents (workspace_id, contact_id, purpose, status, requested_at, confirmed_at)
        SELECT workspace_id, id, 'newsletter', 'confirmed', now(), now() FROM contacts WHERE workspace_id = ${ws.id}`.execute(
        deps.db,
      );
      await deps.db
        .insertInto('mail_settings')
        .values({
          workspace_id: ws.id,
          from_name: 'Nordlicht',
          from_email: 'news@nordlicht.example',
          imprint: 'Nordlicht GmbH\nHamburg',
          updated_at: new Date(),
        })
        .execute();
      const templateId = newId();
      await deps.db
        .insertInto('mail_templates')
        .values({
          id: templateId,
          workspace_id: ws.id,
          name: 'Whitepaper',
          kind: 'marketing',
          purpose: 'newsletter',
        })
        .execute();
      await deps.db
        .insertInto('mail_template_variants')
        .values({
          workspace_id: ws.id,
          template_id: templateId,
          locale: 'de',
          subject: 'Ihr Whitepaper',
          preheader: '',
          body_mjml: TEMPLATE,
        })
        .execute();
      const segmentId = newId();
      await deps.db
        .insertInto('segments')
        .values({
          id: segmentId,
          workspace_id: ws.id,
          name: 'Alle',
          description: null,
          definition: JSON.stringify({ kind: 'group', op: 'and', children: [] }),
          created_by: null,
        })
        .execute();
      await sql`ANALYZE`.execute(deps.db);

      async function baseline(): Promise<number> {
        const started = wallMs();
        const send = await startBulkSend(deps.db, deps, actor, ws.id, { templateId });
        await waitFor('bulk send', n, async () => {
          const r = await sql<{ n: string }>`SELECT count(*) AS n FROM messages WHERE send_id = ${send.id}
            AND status IN ('delivered', 'skipped', 'failed', 'bounced')`.execute(deps.db);
          return Number(r.rows[0]!.n);
        });
        const seconds = (wallMs() - started) / 1000;
        // Messages stay: deleting 100,000 took over 10 minutes (unsubscribe_tokens.message_id has no
        // index for its ON DELETE SET NULL). Each round counts only its own messages.
        log(`size ${n}: bulk send ${round(n / seconds)} contacts/s (${round(seconds, 1)} s)`);
        return seconds;
      }

      async function ours(): Promise<{ seconds: number; enteredSeconds: number }> {
        const j = await createJourney(deps, actor, ws.id, {
          name: `Bench ${n}`,
          definition: {
            trigger: { type: 'segment-entered', segmentId },
            timeZone: 'Europe/Berlin',
            startStepId: 'mail',
            steps: [
              {
                id: 'mail',
                type: 'send-mail',
                templateId,
                kind: 'marketing',
                purpose: 'newsletter',
                next: 'branch',
              },
              {
                id: 'branch',
                type: 'branch',
                condition: { type: 'field', field: 'country', op: 'eq', value: 'DE' },
                yes: null,
                no: null,
              },
            ],
            goals: [],
            exitRules: [],
            reentry: { policy: 'never' },
          },
        });
        const started = wallMs();
        await activateJourney(deps, actor, ws.id, j.id);
        let enteredSeconds = 0;
        await waitFor('entry', n, async () => {
          const r = await sql<{
            n: string;
          }>`SELECT count(*) AS n FROM journey_enrollments WHERE journey_id = ${j.id}`.execute(deps.db);
          const x = Number(r.rows[0]!.n);
          if (x >= n && enteredSeconds === 0) enteredSeconds = (wallMs() - started) / 1000;
          return x;
        });
        await waitFor('journey', n, async () => {
          const r = await sql<{
            n: string;
          }>`SELECT count(*) AS n FROM journey_enrollments WHERE journey_id = ${j.id} AND status = 'completed'`.execute(
            deps.db,
          );
          return Number(r.rows[0]!.n);
        });
        await waitFor('journey mails', withMail ? n : 0, async () => {
          const r = await sql<{
            n: string;
          }>`SELECT count(*) AS n FROM messages WHERE workspace_id = ${ws.id} AND send_id IS NULL
            AND status IN ('delivered', 'skipped', 'failed', 'bounced')`.execute(deps.db);
          return Number(r.rows[0]!.n);
        });
        const seconds = (wallMs() - started) / 1000;
        log(
          `size ${n}: journey ${round(n / seconds)} contacts/s (${round(seconds, 1)} s; all entered after ${round(enteredSeconds, 1)} s)`,
        );
        return { seconds, enteredSeconds };
      }

      const b1 = await baseline();
      const o = await ours();
      const b2 = await baseline();
      const base = median([b1, b2]);
      rows.push({
        contacts: n,
        journey_seconds: round(o.seconds, 2),
        entry_seconds: round(o.enteredSeconds, 2),
        bulk_send_seconds: round(base, 2),
        journey_contacts_per_s: round(n / o.seconds),
        bulk_send_contacts_per_s: round(n / base),
        ratio: round(base / o.seconds, 3),
      });
    }
    const last = rows[rows.length - 1]!;
    return {
      bench: 'journeys',
      value: last.journey_contacts_per_s as number,
      unit: 'contacts/s',
      baseline: last.bulk_send_contacts_per_s as number,
      ratio: last.ratio as number,
      workers: workerCount,
      sizes: rows,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop().catch(() => {})));
    await deps.handle.close().catch(() => {});
    await database.drop();
    dataDir.remove();
  }
}
