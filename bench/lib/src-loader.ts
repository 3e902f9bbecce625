import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * Bench children load the application from a source folder given on their command line: this
 * repository's src/ normally, or another checkout's src/ (bench/jobs.ts --compare) so that a change
 * to production code can be measured against the current code in the same run.
 */

type DbModule = typeof import('../../src/shared/db/index.js');
type JobsModule = typeof import('../../src/shared/jobs/index.js');
type ConfigModule = typeof import('../../src/shared/config.js');
type LogModule = typeof import('../../src/shared/log.js');
type MetricsModule = typeof import('../../src/shared/metrics.js');
type ClockModule = typeof import('../../src/shared/clock.js');
type MigrateModule = typeof import('../../src/shared/db/migrate.js');
type MigrationsModule = typeof import('../../src/migrations/index.js');

export const DEFAULT_SRC = resolve(import.meta.dirname, '../../src');

function from<T>(srcDir: string, path: string): Promise<T> {
  return import(pathToFileURL(join(resolve(srcDir), path)).href) as Promise<T>;
}

export async function loadSrc(srcDir: string) {
  const [db, jobs, config, logging, metrics, clock, migrate, migrations] = await Promise.all([
    from<DbModule>(srcDir, 'shared/db/index.ts'),
    from<JobsModule>(srcDir, 'shared/jobs/index.ts'),
    from<ConfigModule>(srcDir, 'shared/config.ts'),
    from<LogModule>(srcDir, 'shared/log.ts'),
    from<MetricsModule>(srcDir, 'shared/metrics.ts'),
    from<ClockModule>(srcDir, 'shared/clock.ts'),
    from<MigrateModule>(srcDir, 'shared/db/migrate.ts'),
    from<MigrationsModule>(srcDir, 'migrations/index.ts'),
  ]);
  return { ...db, ...jobs, ...config, ...logging, ...metrics, ...clock, ...migrate, ...migrations };
}
