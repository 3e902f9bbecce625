import { postgresAvailable } from './postgres.js';

/** Checks PostgreSQL once for the whole run, so the skip message (or the CI failure) appears once. */
export default async function setup(): Promise<void> {
  await postgresAvailable();
}
