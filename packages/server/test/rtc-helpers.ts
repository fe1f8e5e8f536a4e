/**
 * WebRTC test clients: werift peer connections that stay on loopback (they pair only their
 * 127.0.0.1 candidate with the server's) and FFmpeg-made RTP fed into their tracks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { GenericNack, MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtcpTransportLayerFeedback, RtpPacket, useTransportWideCC, type RTCRtpReceiver } from 'werift';
import { H264Depacketizer } from '../src/kernel/rtp-h264-depacketize.js';
import { startHookServer, type HookServer } from './api-helpers.js';
import { after, before } from 'node:test';
import { basicConf, freePort, startServer, waitFor, type RunningServer } from './harness.js';

export const H264_CODEC = () =>
  new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90_000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  });
export const OPUS_CODEC = () => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 });

export interface RtcPublisher {
  pc: RTCPeerConnection;
  video?: MediaStreamTrack;
  audio?: MediaStreamTrack;
  offer: string;
}

/** A werift publisher with sendonly H.264 and/or Opus tracks; its offer carries its candidates. */
export async function rtcPublisher(kinds: { video?: boolean; audio?: boolean } = { video: true }): Promise<RtcPublisher> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    // one ICE transport for both tracks (werift leaves the sockets of unused ones open after close)
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    // loopback only: a LAN candidate would pair with the server's 127.0.0.1 as well
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1',
    codecs: { video: [H264_CODEC()], audio: [OPUS_CODEC()] },
  });
  const out: RtcPublisher = { pc, offer: '' };
  if (kinds.video) {
    out.video = new MediaStreamTrack({ kind: 'video' });
    pc.addTransceiver(out.video, { direction: 'sendonly' });
  }
  if (kinds.audio) {
    out.audio = new MediaStreamTrack({ kind: 'audio' });
    pc.addTransceiver(out.audio, { direction: 'sendonly' });
  }
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor('a loopback candidate in the offer', () => / 127\.0\.0\.1 \d+ typ host/.test(pc.localDescription!.sdp), 5000, 20);
  out.offer = pc.localDescription!.sdp;
  return out;
}

export function whip(server: RunningServer, query: string, sdp: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.ports.api}/rtc/v1/whip/?${query}`, {
    method: 'POST',
    body: sdp,
    headers: { 'Content-Type': 'application/sdp', ...headers },
  });
}

/** The payload type the answer gives `codec` (`H264/90000`, `opus/48000`), or NaN. */
export function payloadType(answer: string, codec: string): number {
  return Number(new RegExp(`^a=rtpmap:(\\d+) ${codec}`, 'mi').exec(answer)?.[1]);
}

export interface RtpFeed {
  ff: ChildProcess;
  socks: Socket[];
  packets: { video: number; audio: number };
  stop(): void;
}

/**
 * One FFmpeg making real-time H.264 (testsrc 320x240, 25 fps, GOP 1 s) and/or Opus (a 440 Hz sine,
 * 48 kHz stereo) RTP to local sockets; each packet goes to its track with the answer's payload
 * type. One process for both, so the two RTP clocks start together.
 */
export async function ffmpegRtp(tracks: { video?: { track: MediaStreamTrack; pt: number }; audio?: { track: MediaStreamTrack; pt: number } }): Promise<RtpFeed> {
  const packets = { video: 0, audio: 0 };
  const socks: Socket[] = [];
  const args = ['-hide_banner', '-loglevel', 'error', '-re'];
  const outputs: string[] = [];
  let input = 0;
  for (const kind of ['video', 'audio'] as const) {
    const t = tracks[kind];
    if (!t) continue;
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.on('message', (msg) => {
      const rtp = RtpPacket.deSerialize(msg);
      rtp.header.payloadType = t.pt;
      t.track.writeRtp(rtp);
      packets[kind]++;
    });
    socks.push(sock);
    if (kind === 'video') {
      args.push('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25');
      outputs.push('-map', `${input}:v`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-profile:v', 'baseline', '-tune', 'zerolatency', '-bsf:v', 'h264_mp4toannexb', '-g', '25');
    } else {
      args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
      outputs.push('-map', `${input}:a`, '-c:a', 'libopus', '-ac', '2', '-b:a', '48k');
    }
    outputs.push('-f', 'rtp', '-pkt_size', '1200', `rtp://127.0.0.1:${sock.address().port}`);
    input++;
  }
  const ff = spawn('ffmpeg', [...args, ...outputs], { stdio: 'ignore' });
  return {
    ff,
    socks,
    packets,
    stop() {
      if (ff.exitCode === null && ff.signalCode === null) ff.kill('SIGKILL');
      for (const s of socks) s.close();
    },
  };
}

/**
 * A tsrs taking WebRTC publishers (rtc_server on a free UDP port, candidate 127.0.0.1; vhost
 * rtc_to_rtmp) with its on_publish hook answered by `hookAnswer`. Stop both after.
 */
export async function startWhipServer(hookAnswer: Parameters<typeof startHookServer>[0]): Promise<{ server: RunningServer; hooks: HookServer; udpPort: number }> {
  const hooks = await startHookServer(hookAnswer);
  const udpPort = await freePort();
  const server = await startServer((p) =>
    basicConf(
      p,
      `rtc { enabled on; rtc_to_rtmp on; }
       http_hooks { enabled on; on_publish ${hooks.url}/publish; }`,
      `rtc_server { enabled on; listen ${udpPort}; candidate 127.0.0.1; }`,
    ),
  );
  return { server, hooks, udpPort };
}

/**
 * The WHIP server of a test file: started (startWhipServer) before its tests, stopped with its
 * hook server after them. The fields are set once `before` has run.
 */
export function useWhipServer(hookAnswer: Parameters<typeof startHookServer>[0]): { server: RunningServer; hooks: HookServer; udpPort: number } {
  const w = {} as { server: RunningServer; hooks: HookServer; udpPort: number };
  before(async () => {
    Object.assign(w, await startWhipServer(hookAnswer));
  });
  after(async () => {
    await w.server?.stop();
    w.hooks?.close();
  });
  return w;
}

export interface RtcPlayerClient {
  pc: RTCPeerConnection;
  offer: string;
  /** video RTP as received: sequence numbers in arrival order */
  videoSeqs: number[];
  /** access units depacketized from the video RTP */
  units: number;
  /** whether the first access unit was a keyframe (IDR), once one arrived */
  firstUnitKeyframe?: boolean;
  audioPackets: number;
  /** the video track's SSRC once RTP arrived */
  videoSsrc?: number;
  /** the video transceiver's receiver (sends PLI / RTCP) */
  videoReceiver?: RTCRtpReceiver;
  /** drops (does not count) the video packets this returns true for */
  drop?: (seq: number) => boolean;
}

/**
 * A werift WHEP player: recvonly H.264 + Opus, bundled, loopback only; offers NACK, PLI and (with
 * `twcc`) the transport-cc extension. Counts what it receives.
 */
export async function rtcPlayer(opts: { twcc?: boolean } = {}): Promise<RtcPlayerClient> {
  const fb = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, ...(opts.twcc ? [{ type: 'transport-cc' }] : [])];
  const pc = new RTCPeerConnection({
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1',
    codecs: {
      video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90_000, rtcpFeedback: fb, parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' })],
      audio: [OPUS_CODEC()],
    },
    headerExtensions: opts.twcc ? { video: [useTransportWideCC()], audio: [useTransportWideCC()] } : undefined,
  });
  const video = pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const out: RtcPlayerClient = { pc, offer: '', videoSeqs: [], units: 0, audioPackets: 0, videoReceiver: video.receiver };
  const depacketizer = new H264Depacketizer();
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind !== 'video') return void out.audioPackets++;
      out.videoSsrc = rtp.header.ssrc;
      if (out.drop?.(rtp.header.sequenceNumber)) return;
      out.videoSeqs.push(rtp.header.sequenceNumber);
      const units = depacketizer.push(rtp.payload, rtp.header.sequenceNumber, rtp.header.timestamp, rtp.header.marker);
      if (units.length && out.firstUnitKeyframe === undefined) out.firstUnitKeyframe = units[0].keyframe;
      out.units += units.length;
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor('a loopback candidate in the offer', () => / 127\.0\.0\.1 \d+ typ host/.test(pc.localDescription!.sdp), 5000, 20);
  out.offer = pc.localDescription!.sdp;
  return out;
}

/** Sends a Generic NACK (RFC 4585) for `lost` video packets from a player. */
export async function sendNack(p: RtcPlayerClient, lost: number[]): Promise<void> {
  const feedback = new GenericNack({ senderSsrc: 1, mediaSourceSsrc: p.videoSsrc!, lost });
  await p.videoReceiver!.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]);
}

export function whep(server: RunningServer, query: string, sdp: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.ports.api}/rtc/v1/whep/?${query}`, { method: 'POST', body: sdp, headers: { 'Content-Type': 'application/sdp' } });
}

/**
 * A werift player (rtcPlayer) played through WHEP (`query`: `app=&stream=`) and connected; throws
 * unless the answer is 201 and the connection comes up within 20 s. Close its pc after.
 */
export async function connectedWhepPlayer(server: RunningServer, query: string): Promise<RtcPlayerClient> {
  const player = await rtcPlayer();
  try {
    const res = await whep(server, query, player.offer);
    const answer = await res.text();
    if (res.status !== 201) throw new Error(`WHEP ${query}: ${res.status} ${answer}`);
    await player.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor('connected', () => player.pc.connectionState === 'connected', 20_000);
    return player;
  } catch (err) {
    await player.pc.close();
    throw err;
  }
}
