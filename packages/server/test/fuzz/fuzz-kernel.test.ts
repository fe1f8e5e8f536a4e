/** CI fuzzing of the kernel's FLV tag classifier, MPEG-TS demuxer, Annex B splitter, Opus parsers and RTP H.264 depacketizer: corpus replay + a fixed-seed run per target. */
import { registerFuzzTests } from './fuzz-helper.js';
import { KERNEL_TARGETS } from './targets-kernel.js';

await registerFuzzTests(KERNEL_TARGETS);
