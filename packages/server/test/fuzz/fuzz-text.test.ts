/** CI fuzzing of srs.conf, HTTP request-head parsing and path rendering: corpus replay + a fixed-seed run per target. */
import { registerFuzzTests } from './fuzz-helper.js';
import { TEXT_TARGETS } from './targets-text.js';

await registerFuzzTests(TEXT_TARGETS);
