'use client';

import { useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { SelectField, TextField } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { copyText } from '@/components/ui/Toast';
import { useRtcEnabled } from '@/hooks/useServer';
import { autostart } from '@/lib/srs-params';
import { parseStreamUrl, playUrls, whipUrl } from '@/lib/urls';
import { RtcUnavailableError, whipPublish, type RtcSession } from '@/lib/webrtc';

type SourceKind = 'camera' | 'screen' | 'screen-mic';
type Phase = 'idle' | 'starting' | 'publishing' | 'error';

async function capture(kind: SourceKind, withAudio: boolean): Promise<MediaStream> {
  if (!navigator.mediaDevices) throw new Error('Camera and screen capture need a secure page (https:// or localhost).');
  if (kind === 'camera') return navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: withAudio });
  const screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  if (kind === 'screen-mic' && withAudio) {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    mic.getAudioTracks().forEach((t) => screen.addTrack(t));
  }
  return screen;
}

/** The H5 WebRTC publisher (SRS's rtc_publisher.html): camera/mic or screen to WHIP. */
export function PublisherView() {
  const params = useSearchParams();
  const fromUrl = params.get('url') ? parseStreamUrl(params.get('url') as string) : null;
  const [app, setApp] = useState(fromUrl?.app ?? params.get('app') ?? 'live');
  const [stream, setStream] = useState(fromUrl?.stream ?? params.get('stream') ?? 'livestream');
  const [kind, setKind] = useState<SourceKind>('camera');
  const [audio, setAudio] = useState(true);
  const [phase, setPhase] = useState<Phase>('idle');
  const [message, setMessage] = useState('');
  const [rtcOff, setRtcOff] = useState(false);
  const [ice, setIce] = useState('');
  const rtc = useRtcEnabled();
  const videoRef = useRef<HTMLVideoElement>(null);
  const session = useRef<RtcSession | null>(null);
  const media = useRef<MediaStream | null>(null);
  const vhost = fromUrl?.vhost ?? params.get('vhost') ?? undefined;

  const stop = async () => {
    const s = session.current;
    session.current = null;
    media.current?.getTracks().forEach((t) => t.stop());
    media.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
    await s?.close();
    setPhase('idle');
    setIce('');
  };

  const start = async () => {
    if (!app.trim() || !stream.trim()) {
      setPhase('error');
      setMessage('App and stream names are required.');
      return;
    }
    setPhase('starting');
    setMessage('');
    setRtcOff(false);
    try {
      const ms = await capture(kind, audio);
      media.current = ms;
      if (videoRef.current) {
        videoRef.current.srcObject = ms;
        void videoRef.current.play().catch(() => undefined);
      }
      // If the user ends screen sharing from the browser bar, stop publishing.
      ms.getVideoTracks()[0]?.addEventListener('ended', () => void stop());
      const s = await whipPublish(whipUrl({ app: app.trim(), stream: stream.trim(), vhost }), ms);
      session.current = s;
      s.pc.addEventListener('connectionstatechange', () => {
        setIce(s.pc.connectionState);
        if (s.pc.connectionState === 'failed') {
          setPhase('error');
          setMessage('The WebRTC connection failed (ICE/DTLS). Check the server candidate address.');
        }
      });
      setIce(s.pc.connectionState);
      setPhase('publishing');
    } catch (e) {
      media.current?.getTracks().forEach((t) => t.stop());
      media.current = null;
      if (videoRef.current) videoRef.current.srcObject = null;
      setPhase('error');
      if (e instanceof RtcUnavailableError) setRtcOff(true);
      const err = e as Error;
      setMessage(err.name === 'NotAllowedError' ? 'Camera, microphone or screen access was denied.' : err.message);
    }
  };

  // SRS's ?autostart=true
  const auto = useRef(autostart(params));
  useEffect(() => {
    if (auto.current && rtc.on === true) {
      auto.current = false;
      void start();
    }
    return undefined;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rtc.on]);

  useEffect(
    () => () => {
      void stop();
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  const disabled = rtc.on !== true;
  const urls = playUrls({ app: app.trim() || 'live', stream: stream.trim() || 'livestream', vhost });

  return (
    <>
      <PageHeader title="Publisher" description="Publish your camera, microphone or screen to tsrs over WebRTC (WHIP)" />
      {rtc.on === false && rtc.reason.startsWith('WebRTC is not available') ? (
        <div role="alert" className="mb-4 rounded-lg border border-warn/40 bg-warn/10 px-4 py-3 text-sm" data-testid="rtc-unavailable">
          <strong className="block text-warn">WebRTC is not available in this tsrs yet</strong>
          <span className="text-muted">
            {rtc.reason} Publish with RTMP instead (OBS or FFmpeg to <span className="font-mono">{urls.rtmp}</span>).
          </span>
        </div>
      ) : (rtc.on === false || rtcOff) && (
        <div role="alert" className="mb-4 rounded-lg border border-warn/40 bg-warn/10 px-4 py-3 text-sm" data-testid="rtc-off">
          <strong className="block text-warn">WebRTC is not enabled on this server</strong>
          <span className="text-muted">
            Enable <span className="font-mono">rtc_server {'{ enabled on; }'}</span> and <span className="font-mono">rtc {'{ enabled on; }'}</span> in the
            vhost, then reload.
            {rtcOff && message && <span className="mt-1 block text-xs">{message.replace(/^WebRTC is not enabled on this server\s*/, '').replace(/^\((.*)\)$/, '$1')}</span>}
          </span>
        </div>
      )}
      <div className="grid gap-4 xl:grid-cols-3">
        <Card title="Source" bodyClassName="p-4" className="xl:col-span-1">
          <form
            className="grid gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              if (phase === 'publishing') void stop();
              else void start();
            }}
          >
            <div className="grid grid-cols-2 gap-3">
              <TextField label="App" value={app} onChange={(e) => setApp(e.target.value)} disabled={phase !== 'idle' && phase !== 'error'} />
              <TextField label="Stream" value={stream} onChange={(e) => setStream(e.target.value)} disabled={phase !== 'idle' && phase !== 'error'} />
            </div>
            <SelectField label="Capture" value={kind} onChange={(e) => setKind(e.target.value as SourceKind)} disabled={phase !== 'idle' && phase !== 'error'}>
              <option value="camera">Camera and microphone</option>
              <option value="screen">Screen</option>
              <option value="screen-mic">Screen and microphone</option>
            </SelectField>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={audio} onChange={(e) => setAudio(e.target.checked)} disabled={phase !== 'idle' && phase !== 'error'} />
              Send audio
            </label>
            <div className="flex items-center gap-2">
              {phase === 'publishing' ? (
                <Button type="submit" variant="danger">
                  Stop publishing
                </Button>
              ) : (
                <Button type="submit" variant="primary" disabled={disabled || phase === 'starting'}>
                  {phase === 'starting' ? 'Starting…' : 'Start publishing'}
                </Button>
              )}
              <span role="status" aria-live="polite">
                {phase === 'publishing' && <Badge tone="ok">publishing{ice ? ` · ${ice}` : ''}</Badge>}
              </span>
            </div>
            {phase === 'error' && !rtcOff && (
              <p role="alert" className="text-sm break-words text-danger">
                {message}
              </p>
            )}
            <p className="font-mono text-xs break-all text-muted">POST {whipUrl({ app: app || 'live', stream: stream || 'livestream', vhost })}</p>
          </form>
        </Card>
        <Card title="Local preview" bodyClassName="p-3" className="xl:col-span-2">
          <div className="relative overflow-hidden rounded-lg bg-black">
            {phase !== 'publishing' && phase !== 'starting' && (
              <span className="absolute inset-0 flex items-center justify-center text-sm text-white/60">The camera or screen preview appears here</span>
            )}
            <video ref={videoRef} muted playsInline autoPlay aria-label="Local camera or screen preview" className="aspect-video w-full bg-black" />
          </div>
          {phase === 'publishing' && (
            <ul className="mt-3 grid gap-1 text-xs">
              {(
                [
                  ['RTMP', urls.rtmp],
                  ['HTTP-FLV', urls.flv],
                  ['HLS', urls.hls],
                  ['WebRTC', urls.webrtc],
                ] as const
              ).map(([l, u]) => (
                <li key={l} className="flex items-center gap-2">
                  <span className="w-16 text-muted">{l}</span>
                  <span className="min-w-0 flex-1 truncate font-mono">{u}</span>
                  <Button size="sm" onClick={() => copyText(u, `${l} URL`)}>
                    Copy
                  </Button>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
