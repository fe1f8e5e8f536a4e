#!/usr/bin/env node
/**
 * The `tsrs` command. Only signal holding runs before the rest is loaded (src/early-signals.ts):
 * loading the server's modules takes long enough for a Ctrl-C or SIGTERM to land in between.
 */
import { holdEarlySignals } from './early-signals.js';

holdEarlySignals();
await import('./cli-main.js');
