/** CI fuzzing of the FLV demuxer, codec header parsers and TS muxer: corpus replay + a fixed-seed run per target. */
import { registerFuzzTests } from './fuzz-helper.js';
import { MEDIA_TARGETS } from './targets-media.js';

await registerFuzzTests(MEDIA_TARGETS);
