// @tsrs/db: history of streams, clients, recordings and events in SQLite (Prisma 7).
export { HistoryStore, openHistoryStore, type OpenHistoryStoreOptions } from './store.js';
export { resolveDatabasePath, DEFAULT_DATABASE_PATH } from './location.js';
export { runMigrations, readMigrations, DEFAULT_MIGRATIONS_DIR, type MigrateResult, type MigrationFile } from './migrate.js';
export { DEFAULT_LIMIT, MAX_LIMIT } from './queries.js';
export type { HistoryLogger } from './logger.js';
export type * from './types.js';
