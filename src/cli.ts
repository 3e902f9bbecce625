import { Command, Option } from 'commander';
import { VERSION } from './app.js';
import { migrations } from './migrations/index.js';
import { verifyConsentLedger } from './modules/consent/index.js';
import { createApiKey, createUserIn, findUserByEmail } from './modules/identity/index.js';
import {
  copyToPostgres,
  defaultBackupFileName,
  redactUrl,
  restoreBackupFile,
  type TableCount,
  writeBackup,
} from './ops/backup.js';
import { createDemoWorkspace } from './ops/demo.js';
import { openDeps, type RunningLeadwerk, startLeadwerk } from './server.js';
import { systemActor } from './shared/actor.js';
import { loadConfig } from './shared/config.js';
import { migrationStatus } from './shared/db/migrate.js';
import { AppError, errorMessage } from './shared/errors.js';
import type { AppDeps } from './shared/module.js';
import { PERMISSIONS, ROLES } from './shared/permissions.js';

/** Runs until SIGTERM/SIGINT, then shuts down gracefully; a second signal exits at once. */
function runUntilSignal(running: RunningLeadwerk): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    running.deps.log.info({ event: 'lifecycle.signal', signal }, `received ${signal}`);
    running.stop().then(
      () => process.exit(0),
      (err) => {
        running.deps.log.error({ err, event: 'lifecycle.stop-failed' }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function printInitialAdmin(running: RunningLeadwerk): void {
  const admin = running.initialAdmin;
  if (!admin.created) return;
  const lines = [
    '',
    '  Leadwerk is set up. Log in at:',
    `    ${running.url ? `${running.deps.config.publicUrl}/app/` : '(start the server: leadwerk serve)'}`,
    `    e-mail:   ${admin.email}`,
    admin.generatedPassword
      ? `    password: ${admin.password}   (shown once; change it under your profile)`
      : '    password: from ADMIN_PASSWORD',
    `    workspace: ${admin.workspace?.name}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Opens the database for a one-off command, runs it, and closes it again. */
async function withDeps<T>(fn: (deps: AppDeps) => Promise<T>, migrate = true): Promise<T> {
  const config = loadConfig();
  const deps = await openDeps({ config, migrate });
  try {
    return await fn(deps);
  } finally {
    await deps.handle.close();
  }
}

async function workspaceIdBySlug(deps: AppDeps, slug: string | undefined): Promise<string> {
  const query = deps.db.selectFrom('workspaces').select(['id', 'slug']).orderBy('created_at');
  const row = await (slug ? query.where('slug', '=', slug) : query).executeTakeFirst();
  if (!row)
    throw new AppError('NOT_FOUND', {
      reason: slug ? `no workspace with slug "${slug}"` : 'no workspace yet',
    });
  return row.id;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function printTables(tables: TableCount[], print: (line: string) => void): void {
  const width = Math.max(...tables.map((t) => t.name.length), 5);
  for (const t of tables) print(`  ${t.name.padEnd(width)}  ${String(t.rows).padStart(9)} rows`);
}

export function buildCli(): Command {
  const program = new Command('leadwerk')
    .description('Leadwerk — lead management for B2B marketing and sales teams')
    .version(VERSION)
    .showHelpAfterError();

  program
    .command('serve')
    .description(
      'Run the server: API, admin UI, public pages and (unless --no-worker) the background workers',
    )
    .option('--no-worker', 'serve HTTP only; run `leadwerk worker` processes for the jobs')
    .option('-p, --port <port>', 'port (default: PORT or 3000)')
    .option('-H, --host <host>', 'interface to listen on (default: HOST or 127.0.0.1)')
    .action(async (opts: { worker: boolean; port?: string; host?: string }) => {
      const env = {
        ...process.env,
        ...(opts.port ? { PORT: opts.port } : {}),
        ...(opts.host ? { HOST: opts.host } : {}),
      };
      const running = await startLeadwerk({ config: loadConfig(env), api: true, worker: opts.worker });
      printInitialAdmin(running);
      runUntilSignal(running);
    });

  program
    .command('worker')
    .description('Run background workers only (needs DATABASE_URL; the embedded database allows one process)')
    .action(async () => {
      const config = loadConfig();
      if (!config.databaseUrl) {
        throw new AppError('CONFIG_INVALID', {
          field: 'DATABASE_URL',
          reason: 'separate worker processes need PostgreSQL; `leadwerk serve` runs the workers in-process',
        });
      }
      const running = await startLeadwerk({ config, api: false, worker: true });
      runUntilSignal(running);
    });

  program
    .command('migrate')
    .description('Apply pending database migrations (or show them with --status)')
    .option('--status', 'list applied and pending migrations, change nothing')
    .action(async (opts: { status?: boolean }) => {
      await withDeps(async (deps) => {
        const status = await migrationStatus(deps.db, migrations);
        for (const name of status.applied) console.log(`applied  ${name}`);
        for (const name of status.pending) console.log(`pending  ${name}`);
        if (!opts.status) console.log('Database is up to date.');
      }, !opts.status);
    });

  const user = program.command('user').description('Manage users');
  user
    .command('create')
    .description('Create a user and add them to a workspace')
    .requiredOption('--email <email>', 'e-mail address (the login)')
    .requiredOption('--password <password>', 'initial password (at least 10 characters)')
    .option('--name <name>', 'display name', '')
    .option('--workspace <slug>', 'workspace to join (default: the first one)')
    .addOption(new Option('--role <role>', 'role in the workspace').choices([...ROLES]).default('admin'))
    .option('--superadmin', 'may see and create every workspace', false)
    .action(
      async (opts: {
        email: string;
        password: string;
        name: string;
        workspace?: string;
        role: string;
        superadmin: boolean;
      }) => {
        await withDeps(async (deps) => {
          const workspaceId = await workspaceIdBySlug(deps, opts.workspace);
          const created = await deps.db.transaction().execute(async (trx) => {
            const u = await createUserIn(trx, systemActor('cli'), {
              email: opts.email,
              name: opts.name,
              password: opts.password,
              isSuperadmin: opts.superadmin,
            });
            await trx
              .insertInto('memberships')
              .values({ workspace_id: workspaceId, user_id: u.id, role: opts.role as (typeof ROLES)[number] })
              .execute();
            return u;
          });
          console.log(`Created user ${created.email} (${opts.role}).`);
        });
      },
    );

  const apikey = program.command('apikey').description('Manage API keys');
  apikey
    .command('create')
    .description('Create an API key; the key is printed once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "Website"')
    .option('--workspace <slug>', 'workspace (default: the first one)')
    .option(
      '--scopes <scopes>',
      `comma-separated permissions (default: all). Known: ${PERMISSIONS.join(', ')}`,
    )
    .option('--user <email>', 'record this user as the creator')
    .action(async (opts: { name: string; workspace?: string; scopes?: string; user?: string }) => {
      await withDeps(async (deps) => {
        const workspaceId = await workspaceIdBySlug(deps, opts.workspace);
        const creator = opts.user ? await findUserByEmail(deps.db, opts.user) : undefined;
        const scopes = opts.scopes ? opts.scopes.split(',').map((s) => s.trim()) : [...PERMISSIONS];
        const { key, apiKey } = await createApiKey(
          deps.db,
          { ...systemActor('cli'), userId: creator?.id ?? null },
          workspaceId,
          {
            name: opts.name,
            scopes,
          },
        );
        console.log(
          `API key "${apiKey.name}" (${apiKey.prefix}) created. It is shown only now:\n\n  ${key}\n`,
        );
      });
    });

  program
    .command('backup')
    .description(
      "Write a consistent backup of the whole database as gzip'd JSON lines (see docs/operations.md)",
    )
    .option('-o, --out <file>', 'file to write, "-" for stdout (default: ./leadwerk-backup-<time>.jsonl.gz)')
    .action(async (opts: { out?: string }) => {
      await withDeps(async (deps) => {
        const out = opts.out ?? defaultBackupFileName(deps.clock.now());
        // With the backup on stdout, the report goes to stderr.
        const print = out === '-' ? console.error : console.log;
        const summary = await writeBackup(deps.db, out === '-' ? process.stdout : out, {
          source: deps.handle.kind,
          now: deps.clock.now(),
        });
        printTables(summary.tables, print);
        print(
          `Backed up ${summary.tables.length} tables, ${summary.rows} rows to ${summary.file} ` +
            `(${formatBytes(summary.bytes)}) in ${(summary.ms / 1000).toFixed(1)} s.`,
        );
      }, false);
    });

  program
    .command('restore')
    .description('Restore a backup into this (empty) database, all or nothing')
    .argument('<file>', 'backup file from `leadwerk backup`, "-" for stdin')
    .option('--force', 'replace all data of a database that is not empty', false)
    .action(async (file: string, opts: { force: boolean }) => {
      await withDeps(async (deps) => {
        const summary = await restoreBackupFile(deps.db, file, {
          force: opts.force,
          onTable: (t) => console.log(`  ${t.name}: ${t.rows} rows`),
        });
        if (summary.migrated.length > 0) console.log(`Migrated the database to the backup's state first.`);
        console.log(
          `Restored ${summary.tables.length} tables, ${summary.rows} rows from ${file} ` +
            `(made ${summary.header.createdAt} by Leadwerk ${summary.header.leadwerkVersion}) ` +
            `in ${(summary.ms / 1000).toFixed(1)} s.`,
        );
      }, false);
    });

  const database = program.command('db').description('Database operations');
  database
    .command('copy')
    .description('Move from embedded to PostgreSQL: copy this database into a PostgreSQL database')
    .requiredOption('--to <url>', 'the target, e.g. postgres://leadwerk:secret@db.internal:5432/leadwerk')
    .option('--force', 'replace all data in a target that is not empty', false)
    .action(async (opts: { to: string; force: boolean }) => {
      await withDeps(async (deps) => {
        const from =
          deps.handle.kind === 'embedded'
            ? `the embedded database in ${deps.config.dataDir}`
            : redactUrl(deps.config.databaseUrl ?? '');
        console.log(`Copying ${from} to ${redactUrl(opts.to)} …`);
        const summary = await copyToPostgres(deps.db, opts.to, {
          source: deps.handle.kind,
          force: opts.force,
        });
        printTables(summary.tables, console.log);
        console.log(
          `Copied ${summary.tables.length} tables, ${summary.rows} rows in ${(summary.ms / 1000).toFixed(1)} s.`,
        );
        console.log(
          [
            '',
            'Next: start Leadwerk on PostgreSQL with',
            `  DATABASE_URL=${redactUrl(opts.to)}`,
            deps.handle.kind === 'embedded'
              ? `  SECRET_KEY=<the contents of ${deps.config.dataDir}/secret.key, unless you set SECRET_KEY already>`
              : '  SECRET_KEY=<the same value as now>',
            `and keep ${deps.config.dataDir} until you have checked the new installation.`,
          ].join('\n'),
        );
      }, false);
    });

  program
    .command('demo')
    .description('Create a demo workspace with realistic sample data (a new one each time)')
    .option('--workspace-name <name>', 'name of the demo workspace')
    .action(async (opts: { workspaceName?: string }) => {
      await withDeps(async (deps) => {
        const demo = await createDemoWorkspace(deps, { workspaceName: opts.workspaceName });
        const width = Math.max(...demo.users.map((u) => u.name.length));
        console.log(
          [
            '',
            `  Demo workspace "${demo.workspace.name}" (${demo.workspace.slug}) is ready.`,
            `  Log in at ${deps.config.publicUrl}/app/ as any of these users:`,
            ...demo.users.map((u) => `    ${u.role.padEnd(9)}  ${u.name.padEnd(width)}  ${u.email}`),
            `  password (all of them): ${demo.password}`,
            '',
          ].join('\n'),
        );
      });
    });

  program
    .command('consent')
    .description('Consent ledger')
    .command('verify')
    .description(
      'Recompute the hash chain of the consent ledger and report every break (exit code 1 if there is one)',
    )
    .option('--workspace <slug>', 'only this workspace (default: every workspace)')
    .option('--contact <id>', 'only this contact (with --workspace)')
    .action(async (opts: { workspace?: string; contact?: string }) => {
      await withDeps(async (deps) => {
        const query = deps.db.selectFrom('workspaces').select(['id', 'slug']).orderBy('slug');
        const workspaces = await (opts.workspace
          ? query.where('slug', '=', opts.workspace)
          : query
        ).execute();
        if (opts.workspace && workspaces.length === 0)
          throw new AppError('NOT_FOUND', { reason: `no workspace with slug "${opts.workspace}"` });
        let broken = 0;
        for (const ws of workspaces) {
          const report = await verifyConsentLedger(deps.db, ws.id, opts.contact);
          broken += report.breaks.length;
          console.log(
            `${ws.slug}: ${report.checked} entries checked, ${
              report.breaks.length === 0 ? 'intact' : `${report.breaks.length} BREAKS`
            }`,
          );
          for (const b of report.breaks)
            console.log(`  event ${b.eventId} (contact ${b.contactId}): ${b.problem}`);
        }
        if (broken > 0) process.exitCode = 1;
      });
    });

  return program;
}

/** Runs the CLI; errors print as `error CODE: message` and exit 1. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof AppError) {
      // The human sentence from the error table, then the machine details (field, reason).
      console.error(
        `error ${err.code}: ${errorMessage(err.code, 'en')}${err.details ? ` ${JSON.stringify(err.details)}` : ''}`,
      );
    } else {
      console.error(err);
    }
    process.exit(1);
  }
}
