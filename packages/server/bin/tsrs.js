#!/usr/bin/env node
// The `tsrs` command (npx tsrs -c conf/srs.conf). It is committed rather than pointing the bin at
// dist/, so that `npm ci` in a fresh clone links it before anything is built; it runs the built
// CLI (`npm run build` makes dist/).
import '../dist/src/cli.js';
