/** CI fuzzing of the RTMP parsers: corpus replay + a fixed-seed fast-check run per target. */
import { registerFuzzTests } from './fuzz-helper.js';
import { RTMP_TARGETS } from './targets-rtmp.js';

await registerFuzzTests(RTMP_TARGETS);
