import { type RawBuilder, sql } from 'kysely';
import { v7 } from 'uuid';

/** A new primary key: UUIDv7, time-ordered so that inserts stay local in the index. */
export function newId(): string {
  return v7();
}

/**
 * A UUIDv7 in SQL (what newId() makes in JavaScript; PostgreSQL 15 has no uuidv7()): a time in
 * milliseconds, then a row number (e.g. the file's) as a 32-bit counter (RFC 9562 method 1: 12 bits
 * in rand_a, 20 at the top of rand_b), then 42 random bits. The ids of a statement (an import's
 * chunk, a bench's seed) ascend with the row, so every index that ends in the id (primary key, (workspace_id, id), created/updated, the
 * timeline's contact index) is appended to at its right edge instead of at a random leaf: at
 * 1,000,000 contacts those indexes no longer fit the buffer cache, and random leaves cost a read
 * and a write-back each (gen_random_uuid() made the plain INSERT floor ~30 % more expensive).
 */
export function uuidV7Sql(at: Date, counter: RawBuilder<unknown>): RawBuilder<string> {
  const ms = at.getTime().toString(16).padStart(12, '0');
  return sql<string>`(${ms}::text || '7' || lpad(to_hex((${counter} >> 20) & 4095), 3, '0')
    || lpad(to_hex(x'8000000000000000'::bigint | ((${counter}::bigint & 1048575) << 42)
      | floor(random() * 4398046511104)::bigint), 16, '0'))::uuid`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
