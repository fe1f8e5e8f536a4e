/** CI fuzzing of the WebRTC signalling against the real server: SDP offers, fixed seed. */
import { registerFuzzTests } from './fuzz-helper.js';
import { RTC_TARGETS } from './targets-rtc.js';

await registerFuzzTests(RTC_TARGETS);
