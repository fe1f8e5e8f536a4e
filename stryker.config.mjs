// Mutation testing of the server's pure layers (src/kernel, src/protocol) with StrykerJS.
// Not part of CI: run `npm run mutate` (README "Mutation testing" gives the score, time and scope).
//
// Each mutant is compiled with tsc into a sandbox copy and judged by the kernel/ and protocol/
// unit tests (node:test files run by the tap runner, one process per test file, only the files
// whose run reaches the mutant). A few slow cases are skipped here (see nodeArgs); they still
// run in `npm test`.
// Narrow a run with `npm run mutate -- --mutate 'packages/server/src/protocol/**/*.ts,!**/*.test.ts'`.
const server = 'packages/server';
const reports = process.env.MUTATE_REPORTS ?? 'reports/mutation';
// The kernel tests make their inputs with FFmpeg; every mutant reruns them, so the inputs made for
// one argument list are kept here and reused (test/fixtures/kernel-media.ts ffmpegInput). The
// test runner's child processes inherit the variable. `npm test` does not set it.
process.env.TSRS_TEST_MEDIA_CACHE ??= new URL('.stryker-tmp/media-cache', import.meta.url).pathname;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/tap-runner'],
  testRunner: 'tap',
  coverageAnalysis: 'perTest',
  mutate: [
    `${server}/src/kernel/**/*.ts`,
    `${server}/src/protocol/**/*.ts`,
    '!**/*.test.ts',
    `!${server}/src/kernel/test-avc.ts`,
  ],
  // The sandbox holds the server package and the root files its tsconfig extends; the
  // other workspaces are reached through the symlinked node_modules.
  ignorePatterns: ['/*', '!/package.json', '!/tsconfig.base.json', '!/packages', '/packages/*', `!/${server}`,
    `/${server}/dist`, `/${server}/coverage`],
  buildCommand: `tsc -p ${server}/tsconfig.json`,
  tap: {
    // MUTATE_TESTS (comma-separated globs) narrows the judging test files, e.g. to a module's own.
    testFiles: process.env.MUTATE_TESTS?.split(',') ?? [`${server}/dist/src/kernel/**/*.test.js`, `${server}/dist/src/protocol/**/*.test.js`],
    // Skipped for time: the ffprobe decode cases and the chunk round-trip sweep (tens of seconds
    // each on a loaded 2-core machine). '<root>' is node:test's file-level test: the pattern must
    // not match it, or nothing is skipped.
    nodeArgs: ['--test-reporter=tap', '--test-name-pattern=^(?!ffprobe|encode/decode round trip|<root>)', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  // Error and log texts are not behaviour; module-level (static) mutants would each rerun every
  // test file. Both are left out to keep a run near an hour on 2 cores.
  mutator: { excludedMutations: ['StringLiteral'] },
  ignoreStatic: true,
  concurrency: 2,
  // Generous: a loaded 2-core machine must not turn slow runs into "timeout" (counted as killed).
  timeoutMS: 30000,
  timeoutFactor: 3,
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${reports}/index.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
};
