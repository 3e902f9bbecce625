import { SMTPServer } from 'smtp-server';
import { benchEnv, tempDir } from './common.js';
import { createBenchDatabase } from './db.js';
import { installQueryCounter } from './query-counter.js';

const N = Number(process.argv[2] ?? 300);
const CONC = Number(process.argv[3] ?? 1);
const dbKind = process.argv[4] ?? 'pg';
const counter = installQueryCounter();
const { startLeadwerk } = await import('../../src/server.js');
const { MODULES } = await import('../../src/modules.js');
const { createCaptureModule } = await import('../../src/modules/capture/index.js');
const { createApiKey } = await import('../../src/modules/identity/index.js');
const { systemActor } = await import('../../src/shared/actor.js');
const { loadConfig } = await import('../../src/shared/config.js');
const huge = { limit: 100_000_000, windowSeconds: 3600 };
const capture = createCaptureModule({
  powEnabled: false,
  limits: { perIp: huge, perForm: huge, perWorkspace: huge, global: huge, breakerMinutes: 1 },
});
const withWorker = process.env.WORKER === '1';
let received = 0;
const sink = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  disableReverseLookup: true,
  onData(stream, _s, cb) {
    stream.on('data', () => {});
    stream.on('end', () => {
      received++;
      cb();
    });
  },
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const smtpPort = (sink.server.address() as { port: number }).port;
const bdb = dbKind === 'pg' ? await createBenchDatabase() : undefined;
const dir = tempDir('capture-diag');
const config = loadConfig(
  benchEnv({
    dataDir: dir.dir,
    databaseUrl: bdb?.url,
    extra: {
      DATABASE_POOL_SIZE: '20',
      JOB_POLL_MS: '200',
      ...(withWorker ? { SMTP_URL: `smtp://127.0.0.1:${smtpPort}?tls=off` } : {}),
    },
  }),
);
const running = await startLeadwerk({
  config,
  api: true,
  worker: withWorker,
  modules: MODULES.map((m) => (m.name === 'capture' ? capture : m)),
});
try {
  const workspaceId = running.initialAdmin.workspace!.id;
  const { key } = await createApiKey(running.deps.db, systemActor('bench'), workspaceId, {
    name: 'b',
    scopes: ['forms:read', 'forms:write'],
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(JSON.stringify(json));
    return json;
  };
  const { definition } = (await api('GET', '/api/v1/form-kinds/newsletter/default')) as {
    definition: object;
  };
  const created = (await api('POST', '/api/v1/forms', {
    name: 'B',
    slug: 'bench-newsletter',
    kind: 'newsletter',
    definition: {
      ...definition,
      controller: { name: 'B GmbH', address: 'Berlin', email: 'p@bench.example' },
      privacyNoticeUrl: 'https://bench.example/privacy',
    },
  })) as { form: { id: string } };
  await api('POST', `/api/v1/forms/${created.form.id}/publish`, {});
  const cfg = (await (await fetch(`${running.url}/f/bench-newsletter/config`)).json()) as {
    timeToken: string;
  };
  await new Promise((r) => setTimeout(r, 2200));
  let seq = 0;
  const one = async () => {
    const n = seq++;
    const res = await fetch(`${running.url}/f/bench-newsletter/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `d-${n}@firma${n % Number(process.env.DOMAINS ?? 1000)}.bench.example`,
        consent_newsletter: 'on',
        lw_t: cfg.timeToken,
        lang: 'de',
        utm_source: 'bench',
        utm_medium: 'banner',
        utm_campaign: 'c',
        landing_url: 'https://www.bench.example/newsletter',
      }),
    });
    if (res.status !== 200 && res.status !== 202) throw new Error(`${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  for (let i = 0; i < 50; i++) await one();
  if (withWorker) while (received < 50) await new Promise((r) => setTimeout(r, 100));
  counter.reset();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const h0 = process.hrtime.bigint() / 1000n;
  const worker = async () => {
    while (seq < 50 + N) await one();
  };
  await Promise.all(Array.from({ length: CONC }, worker));
  if (withWorker) while (received < 50 + N) await new Promise((r) => setTimeout(r, 100));
  const t1 = performance.now();
  const h1 = process.hrtime.bigint() / 1000n;
  console.error(`window ${h0} ${h1}`);
  const cpu = process.cpuUsage(c0);
  const counts = counter.counts();
  const total = Object.values(counts).reduce((a, c) => a + c.calls, 0);
  console.log(
    JSON.stringify({
      n: N,
      rps: Math.round((N / (t1 - t0)) * 1000),
      cpu_us_per: Math.round((cpu.user + cpu.system) / N),
      stmts_per: total / N,
    }),
  );
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1].calls - a[1].calls))
    console.log((v.calls / N).toFixed(2), k);
} finally {
  await running.stop();
  await bdb?.drop();
  dir.remove();
  sink.close();
}
