/** CI fuzzing against the real server: raw request heads and API JSON bodies, fixed seed. */
import { registerFuzzTests } from './fuzz-helper.js';
import { SERVER_TARGETS } from './targets-server.js';

await registerFuzzTests(SERVER_TARGETS);
