#!/usr/bin/env node
// The `tsrs-bench` command. Committed (not the dist/ file itself) so that `npm ci` in a fresh clone
// links it before anything is built; it runs the built CLI (`npm run build` makes dist/).
import '../dist/src/cli.js';
