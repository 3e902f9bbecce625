import { type PGlite, parse, protocol, type Results } from '@electric-sql/pglite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { MAX_PREPARED_PER_CONNECTION, preparedName } from './prepared.js';

/*
 * Why our own dialect: the published PGlite dialects pin older PGlite majors in their peer ranges,
 * and what we need is small and must be exactly right. PGlite is one Postgres backend with one
 * session, so a transaction must own that session until it ends; otherwise a query from an HTTP
 * request would land inside a job's open transaction. The driver hands out the single connection
 * to one holder at a time, in FIFO order.
 */

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

/** What a named statement needs on every call: its parameter types and its result's row description. */
interface PreparedStatement {
  paramTypes: number[];
  rowDescription: BackendMessage | undefined;
}

const { serialize } = protocol;
const noSync = { syncToFs: false };

/**
 * Runs a statement marked with `prepared()` (src/shared/db/prepared.ts) as a named statement: parsed
 * and described once per database, then only bound and executed. PGlite's own `query` parses,
 * describes and plans every statement on every call (as node-postgres does on PostgreSQL); this
 * follows its message sequence otherwise, so results, errors and notifications come out the same.
 */
async function runPrepared<R>(
  client: PGlite,
  statements: Map<string, PreparedStatement>,
  name: string,
  text: string,
  params: readonly unknown[],
): Promise<Results<R>> {
  return client.runExclusive(async () => {
    const messages: BackendMessage[] = [];
    try {
      let statement = statements.get(name);
      if (!statement) {
        await client.execProtocolStream(serialize.parse({ name, text, types: [] }), noSync);
        const described = await client.execProtocolStream(serialize.describe({ type: 'S', name }), noSync);
        const params = described.find((m) => m.name === 'parameterDescription') as
          | (BackendMessage & { dataTypeIDs: number[] })
          | undefined;
        statement = {
          paramTypes: params?.dataTypeIDs ?? [],
          rowDescription: described.find((m) => m.name === 'rowDescription'),
        };
        statements.set(name, statement);
      }
      const types = statement.paramTypes;
      const values = params.map((value, i) => {
        if (value === null || value === undefined) return null;
        const serializer = client.serializers[types[i] ?? 0];
        return serializer ? serializer(value) : String(value);
      });
      await client.execProtocolStream(serialize.bind({ statement: name, values }), noSync);
      if (statement.rowDescription) messages.push(statement.rowDescription);
      messages.push(...(await client.execProtocolStream(serialize.execute({}), noSync)));
    } finally {
      messages.push(...(await client.execProtocolStream(serialize.sync(), noSync)));
    }
    await client.syncToFs();
    return parse.parseResults(messages, client.parsers)[0] as Results<R>;
  });
}

class PGliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, PreparedStatement>();

  constructor(private readonly client: PGlite) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const name = preparedName(compiledQuery.sql);
    const result =
      name && (this.statements.has(name) || this.statements.size < MAX_PREPARED_PER_CONNECTION)
        ? await runPrepared<R>(
            this.client,
            this.statements,
            name,
            compiledQuery.sql,
            compiledQuery.parameters,
          )
        : await this.client.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    const command = (result as { command?: string }).command;
    const mutates =
      command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return mutates || result.affectedRows
      ? { numAffectedRows: BigInt(result.affectedRows ?? 0), rows: result.rows }
      : { rows: result.rows };
  }

  // PGlite materialises results; streaming yields them in chunks so callers keep one code path.
  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = 1000,
  ): AsyncIterableIterator<QueryResult<R>> {
    const result = await this.client.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    for (let i = 0; i < result.rows.length; i += chunkSize) {
      yield { rows: result.rows.slice(i, i + chunkSize) };
    }
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private held = false;
  private readonly waiting: Array<(c: PGliteConnection) => void> = [];

  constructor(private readonly client: PGlite) {
    this.connection = new PGliteConnection(client);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.held) {
      this.held = true;
      return this.connection;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next) next(this.connection);
    else this.held = false;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await conn.executeQuery(CompiledQuery.raw(`begin${level}`));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    if (!this.client.closed) await this.client.close();
  }
}

/** A Kysely dialect over an open PGlite instance. */
export class PGliteDialect implements Dialect {
  constructor(private readonly client: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.client);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
