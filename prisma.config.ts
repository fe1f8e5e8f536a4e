// Prisma CLI configuration (generate, studio, migrate status). The server itself does not
// read this file: packages/db applies prisma/migrations at start with its own migrator.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:./objs/tsrs.db' },
});
