// @tsrs/db: history of streams, clients, recordings and events in SQLite or PostgreSQL (Prisma 7).
export { HistoryStore, openHistoryStore, type OpenHistoryStoreOptions, type HistoryTarget } from './store.js';
export { isPostgresUrl, redactUrl, runPgMigrations, DEFAULT_PG_MIGRATIONS_DIR } from './pg.js';
export { resolveDatabasePath, DEFAULT_DATABASE_PATH } from './location.js';
export { runMigrations, readMigrations, DEFAULT_MIGRATIONS_DIR, type MigrateResult, type MigrationFile } from './migrate.js';
export { DEFAULT_LIMIT, MAX_LIMIT } from './queries.js';
export type { HistoryLogger } from './logger.js';
export type * from './types.js';
