import { type Kysely, sql } from 'kysely';
import {
  buildCompileContext,
  countMatching,
  listContactsPage,
  selectionWhere,
} from '../src/modules/contacts/contacts-query.js';
import { openDeps } from '../src/server.js';
import { loadConfig } from '../src/shared/config.js';
import type { Database } from '../src/shared/db/schema.js';
import { createLogger } from '../src/shared/log.js';
import { type BenchResult, int, log, median, parseOptions, round, tempDir } from './lib/common.js';
import { createBenchDatabase, PG_ADMIN_URL } from './lib/db.js';

function reuseBenchDatabase(name: string) {
  if (!/^leadwerk_bench_[0-9a-f]+$/.test(name))
    throw new Error(`--reuse expects a leadwerk_bench_… database, got ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: async () => {} };
}

/*
 * Segment counts and the filtered contact list on PostgreSQL with N contacts and M activities
 * (generated with generate_series), against hand-written SQL for the same question on the same
 * data. Each query runs `--runs` times after one warm-up; figures are medians in milliseconds.
 */

export const description =
  'segment counts and filtered list on 1M contacts / 20M activities vs hand-written SQL (PostgreSQL)';

const uuidOf = (expr: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;

/**
 * Bulk generation: drops the table's secondary indexes and foreign keys, runs `fill`, then builds
 * the indexes once and adds the foreign keys back NOT VALID (the generated data is consistent by
 * construction). Row-by-row index maintenance and foreign-key checks made 20M activities take
 * over an hour on the shared 2-core machine.
 */
async function withoutSecondaryIndexes(db: Kysely<Database>, table: string, fill: () => Promise<void>) {
  const indexes = (
    await sql<{ name: string; def: string }>`
      SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename = ${table} AND i.indexdef NOT LIKE 'CREATE UNIQUE%'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)`.execute(
      db,
    )
  ).rows;
  const fks = (
    await sql<{ name: string; def: string }>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = ${table}::regclass AND contype = 'f'`.execute(db)
  ).rows;
  for (const fk of fks) await sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${fk.name}`).execute(db);
  for (const ix of indexes) await sql.raw(`DROP INDEX ${ix.name}`).execute(db);
  await fill();
  const t = performance.now();
  for (const ix of indexes) await sql.raw(ix.def).execute(db);
  for (const fk of fks)
    await sql.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${fk.name} ${fk.def} NOT VALID`).execute(db);
  log(`${table}: ${indexes.length} indexes built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

async function generate(db: Kysely<Database>, ws: string, now: Date, N: number, M: number) {
  await sql`INSERT INTO workspaces (id, name, slug) VALUES (${ws}, 'Bench', 'bench')`.execute(db);
  // The custom fields the segment conditions use (a condition on an undefined field is refused).
  await sql`INSERT INTO custom_field_definitions (workspace_id, key, label, type, options) VALUES
    (${ws}, 'budget', 'Budget', 'number', '[]'),
    (${ws}, 'interest', 'Interest', 'choice', ${JSON.stringify(['crm', 'erp', 'bi'].map((v) => ({ value: v, label: v })))}::jsonb)`.execute(
    db,
  );
  const t0 = performance.now();
  await withoutSecondaryIndexes(db, 'contacts', async () => {
    await sql
      .raw(`INSERT INTO contacts (id, workspace_id, email, email_normalized, email_match_key, first_name, last_name, company_name,
      country, lifecycle_stage, tags, custom_fields, quality_score, created_at, updated_at)
    SELECT ${uuidOf('i')}, '${ws}', 'user' || i || '@firma' || (i % 20000) || '.de', 'user' || i || '@firma' || (i % 20000) || '.de',
      'user' || i || '@firma' || (i % 20000) || '.de',
      (ARRAY['Anna','Ben','Carla','Dirk','Eva','Felix','Greta','Hans'])[1 + i % 8], 'Nachname' || (i % 5000), 'Firma ' || (i % 20000),
      (ARRAY['DE','DE','DE','AT','CH','GB','FR','NL'])[1 + (i / 7) % 8],
      (ARRAY['subscriber','engaged','mql','sal','sql','opportunity','customer','recycled'])[1 + (i / 3) % 8],
      CASE WHEN i % 10 = 0 THEN ARRAY['messe'] WHEN i % 10 = 1 THEN ARRAY['webinar','vip'] ELSE '{}' END,
      jsonb_build_object('budget', (i % 100) * 1000, 'interest', (ARRAY['crm','erp','bi'])[1 + i % 3]),
      (i % 101), timestamptz '2025-01-01' + (i % 400) * interval '1 day', timestamptz '2025-06-01' + (i % 270) * interval '1 day'
    FROM generate_series(1, ${N}) i`)
      .execute(db);
  });
  log(`${N} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await sql
    .raw(`INSERT INTO consents (workspace_id, contact_id, purpose, status, confirmed_at)
    SELECT '${ws}', ${uuidOf('i')}, 'newsletter', CASE WHEN i % 5 = 0 THEN 'withdrawn' ELSE 'confirmed' END, now()
    FROM generate_series(1, ${N}) i WHERE i % 3 <> 0`)
    .execute(db);
  await withoutSecondaryIndexes(db, 'activities', async () => {
    const t1 = performance.now();
    const types = `ARRAY['mail.sent','mail.sent','mail.sent','mail.opened','mail.clicked','capture.form-submitted','capture.asset-downloaded','capture.event-registered','events.attended','contacts.updated']`;
    const batch = 2_000_000;
    for (let start = 1; start <= M; start += batch) {
      const end = Math.min(M, start + batch - 1);
      await sql
        .raw(`INSERT INTO activities (workspace_id, contact_id, origin_contact_id, type, occurred_at, data, ref)
      SELECT '${ws}', ${uuidOf(`1 + (g * 7919) % ${N}`)}, ${uuidOf(`1 + (g * 7919) % ${N}`)}, (${types})[1 + g % 10],
        timestamptz '${now.toISOString()}' - ((g * 104729) % (365 * 24)) * interval '1 hour', '{}',
        CASE WHEN g % 10 IN (6, 7, 8) THEN (ARRAY['asset:whitepaper-ki','asset:checkliste','event:webinar-mai','event:messe'])[1 + (g / 10) % 4]
             WHEN g % 10 IN (0, 1, 2, 3, 4) THEN 'message:m' || (g % 200) END
      FROM generate_series(${start}::bigint, ${end}::bigint) g`)
        .execute(db);
      log(`activities ${end}/${M} (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
    }
  });
  await sql`VACUUM ANALYZE`.execute(db);
  log(`generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    contacts: { type: 'string', default: '1000000' },
    activities: { type: 'string', default: '20000000' },
    runs: { type: 'string', default: '5' },
    // Keep the generated database (its name is logged) and measure an existing one again
    // (`--reuse leadwerk_bench_…`, generation skipped; pending migrations are applied on open).
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string', default: '' },
  });
  const N = int(opts.contacts, 'contacts');
  const M = int(opts.activities, 'activities');
  const runs = int(opts.runs, 'runs');
  const database = opts.reuse ? reuseBenchDatabase(opts.reuse) : await createBenchDatabase();
  if (opts.keep || opts.reuse) log(`database ${database.name} (kept)`);
  const dir = tempDir('segments');
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dir.dir,
    DATABASE_URL: database.url,
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: 'warn',
  });
  const deps = await openDeps({ config, log: createLogger('warn') });
  const db = deps.db;
  try {
    const ws = '00000000-0000-4000-8000-00000000a001';
    const now = new Date('2026-03-01T00:00:00Z');
    if (!opts.reuse) await generate(db, ws, now, N, M);

    const f = (field: string, operator: string, value?: unknown) => ({
      kind: 'field',
      field,
      operator,
      value,
    });
    const g = (...children: unknown[]) => ({ kind: 'group', op: 'and', children });
    const cutoff30 = new Date(now.getTime() - 30 * 86_400_000).toISOString();
    const cutoff90 = new Date(now.getTime() - 90 * 86_400_000).toISOString();
    const W = `c.workspace_id = '${ws}'`;
    const cases: { name: string; filter: unknown; hand: string }[] = [
      {
        name: 'stage is MQL',
        filter: g(f('lifecycle_stage', 'eq', 'mql')),
        hand: `SELECT count(*) FROM contacts c WHERE ${W} AND c.lifecycle_stage = 'mql'`,
      },
      {
        name: 'country DE and tag messe',
        filter: g(f('country', 'eq', 'DE'), f('tags', 'contains_any', ['messe'])),
        hand: `SELECT count(*) FROM contacts c WHERE ${W} AND c.country = 'DE' AND c.tags && ARRAY['messe']`,
      },
      {
        name: 'clicked any mail in last 30 days',
        filter: g({ kind: 'activity', type: 'mail.clicked', withinDays: 30 }),
        hand: `SELECT count(DISTINCT a.contact_id) FROM activities a WHERE a.workspace_id = '${ws}' AND a.type = 'mail.clicked' AND a.occurred_at >= '${cutoff30}'`,
      },
      {
        name: 'downloaded asset X',
        filter: g({ kind: 'activity', type: 'capture.asset-downloaded', ref: 'asset:whitepaper-ki' }),
        hand: `SELECT count(DISTINCT a.contact_id) FROM activities a WHERE a.workspace_id = '${ws}' AND a.type = 'capture.asset-downloaded' AND a.ref = 'asset:whitepaper-ki'`,
      },
      {
        name: 'registered but did not attend event Y',
        filter: g(
          { kind: 'activity', type: 'capture.event-registered', ref: 'event:webinar-mai' },
          { kind: 'activity', type: 'events.attended', ref: 'event:webinar-mai', negate: true },
        ),
        hand: `SELECT count(*) FROM (SELECT DISTINCT contact_id FROM activities WHERE workspace_id = '${ws}' AND type = 'capture.event-registered' AND ref = 'event:webinar-mai' EXCEPT SELECT contact_id FROM activities WHERE workspace_id = '${ws}' AND type = 'events.attended' AND ref = 'event:webinar-mai') x`,
      },
      {
        name: 'newsletter confirmed and opened in 90 days',
        filter: g(
          { kind: 'consent', purpose: 'newsletter', status: 'confirmed' },
          { kind: 'activity', type: 'mail.opened', withinDays: 90 },
        ),
        hand: `SELECT count(*) FROM consents s WHERE s.workspace_id = '${ws}' AND s.purpose = 'newsletter' AND s.status = 'confirmed' AND EXISTS (SELECT 1 FROM activities a WHERE a.workspace_id = '${ws}' AND a.contact_id = s.contact_id AND a.type = 'mail.opened' AND a.occurred_at >= '${cutoff90}')`,
      },
      {
        name: 'budget >= 50000 and interest crm',
        filter: g(
          { kind: 'custom', key: 'budget', operator: 'gte', value: 50000 },
          { kind: 'custom', key: 'interest', operator: 'eq', value: 'crm' },
        ),
        hand: `SELECT count(*) FROM contacts c WHERE ${W} AND (c.custom_fields->>'budget')::numeric >= 50000 AND c.custom_fields->>'interest' = 'crm'`,
      },
      {
        name: 'mail activity >= 3 times in 30 days',
        filter: g({ kind: 'activity', type: 'mail.*', withinDays: 30, minCount: 3 }),
        hand: `SELECT count(*) FROM (SELECT contact_id FROM activities WHERE workspace_id = '${ws}' AND type LIKE 'mail.%' AND occurred_at >= '${cutoff30}' GROUP BY contact_id HAVING count(*) >= 3) x`,
      },
      {
        name: '(MQL or SQL) and not clicked in 30 days',
        filter: g(
          {
            kind: 'group',
            op: 'or',
            children: [f('lifecycle_stage', 'eq', 'mql'), f('lifecycle_stage', 'eq', 'sql')],
          },
          { kind: 'activity', type: 'mail.clicked', withinDays: 30, negate: true },
        ),
        hand: `SELECT count(*) FROM contacts c WHERE ${W} AND c.lifecycle_stage IN ('mql','sql') AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.workspace_id = c.workspace_id AND a.contact_id = c.id AND a.type = 'mail.clicked' AND a.occurred_at >= '${cutoff30}')`,
      },
      {
        name: 'quality < 50 and created in last 90 days',
        filter: g(f('quality_score', 'lt', 50), f('created_at', 'within_last_days', 90)),
        hand: `SELECT count(*) FROM contacts c WHERE ${W} AND c.quality_score < 50 AND c.created_at >= '${cutoff90}'`,
      },
    ];
    const time = async (fn: () => Promise<unknown>) => {
      await fn();
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        await fn();
        samples.push(performance.now() - s);
      }
      return median(samples);
    };
    const results: { name: string; ours_ms: number; hand_ms: number; ratio: number; count: number }[] = [];
    for (const c of cases) {
      const count = await countMatching(db, ws, now, { filter: c.filter });
      const hand = Number((await sql.raw<{ count: string }>(c.hand).execute(db)).rows[0]!.count);
      if (hand !== count) log(`WARNING ${c.name}: ours ${count}, hand-written ${hand}`);
      const ours = await time(() => countMatching(db, ws, now, { filter: c.filter }));
      const handMs = await time(() => sql.raw(c.hand).execute(db));
      results.push({
        name: c.name,
        ours_ms: round(ours, 1),
        hand_ms: round(handMs, 1),
        ratio: round(ours / handMs, 2),
        count,
      });
      log(
        `${c.name.padEnd(45)} ours ${ours.toFixed(1).padStart(8)} ms  hand ${handMs.toFixed(1).padStart(8)} ms  (${count})`,
      );
    }
    void buildCompileContext;
    const listFilter = g(f('country', 'eq', 'DE'), f('lifecycle_stage', 'in', ['mql', 'sql']));
    const listOurs = await time(async () =>
      listContactsPage(db, await selectionWhere(db, ws, now, { filter: listFilter }), {
        sort: 'created_at',
        dir: 'desc',
        limit: 50,
      }),
    );
    const listHand = await time(() =>
      sql
        .raw(
          `SELECT * FROM contacts c WHERE ${W} AND c.merged_into_contact_id IS NULL AND c.country = 'DE' AND c.lifecycle_stage IN ('mql','sql') ORDER BY c.created_at DESC, c.id LIMIT 51`,
        )
        .execute(db),
    );
    log(
      `first list page (DE, MQL/SQL, newest)            ours ${listOurs.toFixed(1)} ms  hand ${listHand.toFixed(1)} ms`,
    );
    // Free-text search (trigram index) and a deep keyset page sorted by a user-chosen column.
    const searchMs = await time(async () =>
      listContactsPage(db, await selectionWhere(db, ws, now, { q: 'nachname4711 firma' }), {
        sort: 'created_at',
        dir: 'desc',
        limit: 50,
      }),
    );
    const searchRareMs = await time(async () =>
      listContactsPage(db, await selectionWhere(db, ws, now, { q: 'user123456@' }), {
        sort: 'created_at',
        dir: 'desc',
        limit: 50,
      }),
    );
    let cursor: string | null = null;
    const allWhere = await selectionWhere(db, ws, now, {});
    for (let i = 0; i < 20; i++) {
      const page = await listContactsPage(db, allWhere, {
        sort: 'last_name',
        dir: 'asc',
        limit: 50,
        after: cursor ?? undefined,
      });
      cursor = page.next;
    }
    const deepPageMs = await time(async () =>
      listContactsPage(db, allWhere, {
        sort: 'last_name',
        dir: 'asc',
        limit: 50,
        after: cursor ?? undefined,
      }),
    );
    log(
      `search (common words) ${searchMs.toFixed(1)} ms, search (one address) ${searchRareMs.toFixed(1)} ms, page 21 by last name ${deepPageMs.toFixed(1)} ms`,
    );
    const worst = Math.max(...results.map((r) => r.ours_ms));
    const worstRatio = Math.max(...results.map((r) => r.ratio));
    return {
      bench: 'segments',
      value: round(median(results.map((r) => r.ours_ms)), 1),
      unit: 'ms (median segment count)',
      baseline: round(median(results.map((r) => r.hand_ms)), 1),
      ratio: round(median(results.map((r) => r.hand_ms)) / median(results.map((r) => r.ours_ms)), 3),
      worst_count_ms: worst,
      worst_ratio_vs_hand: worstRatio,
      list_first_page_ms: round(listOurs, 1),
      list_first_page_hand_ms: round(listHand, 1),
      search_first_page_ms: round(searchMs, 1),
      search_one_address_ms: round(searchRareMs, 1),
      list_page21_by_last_name_ms: round(deepPageMs, 1),
      contacts: N,
      activities: M,
      runs,
      cases: results,
      date: new Date().toISOString(),
    };
  } finally {
    await deps.handle.close();
    dir.remove();
    if (!opts.keep && !opts.reuse) await database.drop();
  }
}
