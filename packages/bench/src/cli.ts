#!/usr/bin/env node
/**
 * tsrs-bench: load and latency tool for RTMP/HTTP-FLV/WebRTC servers (tsrs, SRS, node-media-server).
 */
import { parseFlags } from './args.js';
import { floor } from './floor.js';
import { gen } from './gen.js';
import { play } from './play.js';
import { publish } from './publish.js';
import { SOAK_HELP, soak } from './soak.js';

const HELP = `tsrs-bench <command> [flags]

Commands:
  play     N light players of one URL (RTMP, HTTP-FLV, or WebRTC through a WHEP endpoint)
             -u URL  -n COUNT  -d SECONDS (steady window, after ramp + warm-up)
             --proto rtmp|flv|webrtc (default: from the URL; /whep/ in an http URL is webrtc)
             --ramp N/s (default 500, webrtc 50)  --warmup S (2, after every player joined)  --interval S (5)
             --connect-timeout S (15, webrtc 60)  --token T (webrtc: WHEP bearer token)
             --pid PID   also report that process's CPU% and RSS (the server)
             --metrics URL  also report the delay the server added to WebRTC video over the steady window
                         (its /metrics histogram tsrs_rtc_send_delay_ms), p50/p95
             --json      print one final JSON object on stdout
  publish  M publishers replaying an FLV file in real time, looped, with latency probes
             -u rtmp://host/app/stream  -i FILE  -n COUNT (streams get _0.._M-1)
             -d SECONDS (0: until killed)  --probe-ms MS (1000)
             --proto whip  -u http://host:1985/rtc/v1/whip/?app=live&stream=s  (H.264 only)
             --token T (whip: bearer token)
  gen      make a test FLV with FFmpeg: H.264 + AAC, CBR, GOP 2 s
             -o FILE  -b BITRATE (500k)  -d SECONDS (20)  --size 640x360  --fps 25  --gop 2
  floor    the CPU floor: bare TCP server writing the FLV bytes to every socket,
           one writev per socket per --merge-ms (200)
             -i FILE  --port PORT (8090)  -d SECONDS (0: until killed)
${SOAK_HELP}
Latency: publishers send an AMF0 data message "onBenchTime" with their wall-clock time once
a second, and put the same time in an H.264 SEI NAL unit (user data unregistered) of the next
video frame; RTMP/FLV players read the data message, WebRTC players the SEI in the RTP payload.
Players report now - that time (p50/p95/max), counting only probes sent after they asked to
play (a joining player may get an older cached copy first).

Examples:
  tsrs-bench gen -o /tmp/500k.flv -b 500k
  tsrs-bench publish -u rtmp://127.0.0.1/live/s -i /tmp/500k.flv &
  tsrs-bench play -u rtmp://127.0.0.1/live/s -n 1000 -d 20 --json
  tsrs-bench play -u http://127.0.0.1:8080/live/s.flv -n 1000 -d 20
  tsrs-bench play -u 'http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=s' -n 300 -d 20
  tsrs-bench publish --proto whip -u 'http://127.0.0.1:1985/rtc/v1/whip/?app=live&stream=w' -i /tmp/500k.flv
  tsrs-bench soak --minutes 30
`;

async function main(): Promise<void> {
  const [cmd, ...argv] = process.argv.slice(2);
  const { flags } = parseFlags(argv);
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h' || flags.help) {
    process.stdout.write(HELP);
    return;
  }
  switch (cmd) {
    case 'play': {
      const r = await play(flags);
      if (flags.json) process.stdout.write(JSON.stringify(r) + '\n');
      else console.log(r);
      process.exit(r.connected > 0 ? 0 : 1);
    }
    case 'publish':
      return publish(flags);
    case 'gen':
      console.error(`wrote ${await gen(flags)}`);
      return;
    case 'floor':
      return floor(flags);
    case 'soak': {
      const r = await soak(flags);
      process.exit(r.ok ? 0 : 1);
    }
    default:
      throw new Error(`unknown command ${cmd} (try --help)`);
  }
}

main().catch((err) => {
  console.error(`tsrs-bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
