'use client';

import { useEffect, useRef, useState } from 'react';
import { authHeader } from '@/lib/settings';
import { RtcUnavailableError, whepPlay, type RtcSession } from '@/lib/webrtc';

export type SourceKind = 'flv' | 'hls' | 'webrtc' | 'mp4';

export interface PlayerSource {
  kind: SourceKind;
  /** HTTP-FLV / HLS / MP4 URL, or the WHEP endpoint for webrtc */
  url: string;
  live: boolean;
  /** send the API's Basic credentials (recordings come from the API origin) */
  withAuth?: boolean;
}

type Phase = 'idle' | 'connecting' | 'playing' | 'error' | 'rtc-off';

/**
 * One <video> element driven by mpegts.js (FLV), hls.js (HLS, native HLS as fallback), WHEP
 * (WebRTC) or the browser itself (MP4). Tears the engine down whenever the source changes.
 */
export function VideoPlayer({ source, autoPlay = true, className = '' }: { source: PlayerSource | null; autoPlay?: boolean; className?: string }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [message, setMessage] = useState('');
  const [time, setTime] = useState(0);
  const [size, setSize] = useState('');

  useEffect(() => {
    const video = videoRef.current;
    if (!video || !source) {
      setPhase('idle');
      return;
    }
    let cancelled = false;
    let destroy: (() => void) | null = null;
    let objectUrl: string | null = null;
    setPhase('connecting');
    setMessage('');
    setTime(0);
    setSize('');

    const fail = (m: string, rtcOff = false) => {
      if (cancelled) return;
      setPhase(rtcOff ? 'rtc-off' : 'error');
      setMessage(m);
    };
    const tryPlay = () => {
      if (!autoPlay) return;
      video.play().catch(() => {
        // Autoplay with sound may be blocked: retry muted.
        video.muted = true;
        video.play().catch(() => undefined);
      });
    };

    const start = async () => {
      const auth = source.withAuth ? authHeader() : null;
      if (source.kind === 'flv') {
        const mpegts = (await import('mpegts.js')).default;
        if (cancelled) return;
        if (!mpegts.getFeatureList().mseLivePlayback && source.live) return fail('This browser cannot play HTTP-FLV (no Media Source Extensions).');
        const player = mpegts.createPlayer(
          { type: 'flv', isLive: source.live, url: source.url, cors: true },
          {
            enableWorker: false,
            enableStashBuffer: !source.live,
            liveBufferLatencyChasing: source.live,
            lazyLoad: !source.live,
            headers: auth ? { Authorization: auth } : undefined,
          },
        );
        player.on(mpegts.Events.ERROR, (type: string, detail: string, info?: { msg?: string; code?: number }) =>
          fail(`${type}: ${detail}${info?.code ? ` (HTTP ${info.code})` : ''}${info?.msg ? ` — ${info.msg}` : ''}`),
        );
        player.attachMediaElement(video);
        player.load();
        destroy = () => {
          try {
            player.pause();
            player.unload();
            player.detachMediaElement();
            player.destroy();
          } catch {
            /* already gone */
          }
        };
        tryPlay();
      } else if (source.kind === 'hls') {
        const Hls = (await import('hls.js')).default;
        if (cancelled) return;
        if (Hls.isSupported()) {
          const hls = new Hls({
            lowLatencyMode: false,
            liveSyncDurationCount: 3,
            xhrSetup: auth ? (xhr) => xhr.setRequestHeader('Authorization', auth) : undefined,
          });
          hls.on(Hls.Events.ERROR, (_e, data) => {
            if (data.fatal) fail(`HLS ${data.type}: ${data.details}${data.response?.code ? ` (HTTP ${data.response.code})` : ''}`);
          });
          hls.loadSource(source.url);
          hls.attachMedia(video);
          hls.on(Hls.Events.MANIFEST_PARSED, tryPlay);
          destroy = () => hls.destroy();
        } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
          video.src = source.url;
          tryPlay();
          destroy = () => {
            video.removeAttribute('src');
            video.load();
          };
        } else {
          fail('This browser cannot play HLS.');
        }
      } else if (source.kind === 'webrtc') {
        if (typeof RTCPeerConnection === 'undefined') return fail('This browser has no WebRTC.');
        let session: RtcSession | null = null;
        try {
          session = await whepPlay(source.url, (ms) => {
            if (video.srcObject !== ms) video.srcObject = ms;
            tryPlay();
          });
        } catch (e) {
          return fail((e as Error).message, e instanceof RtcUnavailableError);
        }
        if (cancelled) {
          void session.close();
          return;
        }
        const s = session;
        s.pc.addEventListener('connectionstatechange', () => {
          if (s.pc.connectionState === 'failed') fail('WebRTC connection failed (ICE/DTLS). Check the server candidate address.');
        });
        destroy = () => {
          video.srcObject = null;
          void s.close();
        };
      } else {
        // MP4 file: a plain src keeps Range seeking; with credentials, fetch it into a blob.
        if (auth) {
          const res = await fetch(source.url, { headers: { Authorization: auth } });
          if (!res.ok) return fail(`Download failed: HTTP ${res.status}`);
          const blob = await res.blob();
          if (cancelled) return;
          objectUrl = URL.createObjectURL(blob);
          video.src = objectUrl;
        } else {
          video.src = source.url;
        }
        tryPlay();
        destroy = () => {
          video.removeAttribute('src');
          video.load();
        };
      }
    };
    start().catch((e: Error) => fail(e.message));

    return () => {
      cancelled = true;
      destroy?.();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [source, autoPlay]);

  return (
    <div className={`relative overflow-hidden rounded-lg bg-black ${className}`}>
      <video
        ref={videoRef}
        className="aspect-video w-full bg-black"
        controls
        playsInline
        aria-label="Video player"
        onPlaying={() => setPhase('playing')}
        onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
        onLoadedMetadata={(e) => setSize(e.currentTarget.videoWidth ? `${e.currentTarget.videoWidth}×${e.currentTarget.videoHeight}` : '')}
        onResize={(e) => setSize(e.currentTarget.videoWidth ? `${e.currentTarget.videoWidth}×${e.currentTarget.videoHeight}` : '')}
        onError={() => {
          if (source?.kind !== 'mp4') return;
          setPhase('error');
          setMessage('The browser could not play this file.');
        }}
      />
      {phase !== 'playing' && phase !== 'idle' && (
        <div
          role={phase === 'error' || phase === 'rtc-off' ? 'alert' : 'status'}
          className="pointer-events-none absolute inset-x-0 top-0 flex min-h-16 items-start justify-center p-4"
        >
          <div className="max-w-[90%] rounded-md bg-black/75 px-3 py-2 text-center text-sm text-white">
            {phase === 'connecting' && 'Connecting…'}
            {phase === 'rtc-off' && (
              <>
                <strong className="block">WebRTC not enabled</strong>
                <span className="text-xs text-white/80">{message}</span>
              </>
            )}
            {phase === 'error' && (
              <>
                <strong className="block">Playback failed</strong>
                <span className="text-xs break-words text-white/80">{message}</span>
              </>
            )}
          </div>
        </div>
      )}
      {source && (
        <div className="num pointer-events-none absolute top-2 right-2 rounded bg-black/60 px-2 py-0.5 text-xs text-white" aria-hidden="true">
          {source.kind.toUpperCase()} · <span data-testid="current-time">{time.toFixed(1)}s</span>
          {size ? ` · ${size}` : ''}
        </div>
      )}
      {!source && <div className="absolute inset-0 flex items-center justify-center text-sm text-white/70">No source selected</div>}
    </div>
  );
}
