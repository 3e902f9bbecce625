import { type Kysely, type Migration, Migrator } from 'kysely';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

function migrator<DB>(db: Kysely<DB>, migrations: Record<string, Migration>): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

/**
 * Applies every pending migration. Kysely takes a lock row first, so several processes starting
 * at once against one PostgreSQL apply each migration exactly once.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  const { error, results } = await migrator(db, migrations).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Which migrations the database has and which it lacks (for /readyz and `leadwerk migrate --status`). */
export async function migrationStatus<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
): Promise<MigrationStatus> {
  const infos = await migrator(db, migrations).getMigrations();
  return {
    applied: infos.filter((m) => m.executedAt).map((m) => m.name),
    pending: infos.filter((m) => !m.executedAt).map((m) => m.name),
  };
}
