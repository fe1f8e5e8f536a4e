'use client';

import { useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { SelectField, TextField } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { VideoPlayer, type PlayerSource } from '@/components/player/VideoPlayer';
import { autostart, kindOfUrl, rtcEndpoint, targetFromQuery, type PlayKind } from '@/lib/srs-params';
import { playUrls } from '@/lib/urls';
import { useRtcEnabled } from '@/hooks/useServer';

const KINDS: { id: PlayKind | 'auto'; label: string }[] = [
  { id: 'auto', label: 'Auto (from URL)' },
  { id: 'flv', label: 'HTTP-FLV (mpegts.js)' },
  { id: 'hls', label: 'HLS (hls.js)' },
  { id: 'webrtc', label: 'WebRTC (WHEP)' },
  { id: 'mp4', label: 'MP4 file' },
];

function toSource(url: string, kind: PlayKind | 'auto', rtcOff: string | null): PlayerSource | { error: string } {
  const k = kind === 'auto' ? kindOfUrl(url) : kind;
  if (!k) return { error: 'Cannot tell the protocol from this URL: pick one.' };
  if (k === 'webrtc') {
    if (rtcOff !== null) return { error: rtcOff };
    const whep = /^https?:\/\//i.test(url) ? url : rtcEndpoint(url, 'whep');
    if (!whep) return { error: 'A WebRTC URL looks like webrtc://host/app/stream' };
    return { kind: 'webrtc', url: whep, live: true };
  }
  return { kind: k, url, live: k !== 'mp4' };
}

/** app, stream and vhost of `webrtc://host[:port]/app/stream[?vhost=v]`, or undefined. */
function streamOfRtcUrl(url: string): { app: string; stream: string; vhost?: string } | undefined {
  try {
    const u = new URL(url.replace(/^webrtc:/i, 'http:'));
    const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length < 2) return undefined;
    const vhost = u.searchParams.get('vhost') ?? undefined;
    return { app: parts.slice(0, -1).join('/'), stream: parts[parts.length - 1], ...(vhost ? { vhost } : {}) };
  } catch {
    return undefined;
  }
}

export function PlayerView() {
  const params = useSearchParams();
  const rtc = useRtcEnabled();
  // while unknown, WebRTC is not offered either
  const rtcOff = rtc.on === true ? null : rtc.reason || 'WebRTC is not known to be served by this server.';
  const initial = useMemo(() => targetFromQuery(params), [params]);
  const [url, setUrl] = useState(() => initial?.url ?? playUrls({ app: 'live', stream: 'livestream' }).flv);
  const [kind, setKind] = useState<PlayKind | 'auto'>(() => (initial ? initial.kind : 'auto'));
  const [source, setSource] = useState<PlayerSource | null>(() => {
    if (!initial || !autostart(params) || initial.kind === 'webrtc') return null;
    const s = toSource(initial.url, initial.kind, null);
    return 'error' in s ? null : s;
  });
  const [error, setError] = useState<string | null>(null);
  // A webrtc:// link (SRS's rtc_player.html) while the server has no WebRTC: offer the same
  // stream over HTTP-FLV instead of a protocol that cannot play (the banner says why).
  useEffect(() => {
    if (rtc.on !== false || kind !== 'webrtc') return;
    const ref = streamOfRtcUrl(url);
    setKind('flv');
    if (ref) setUrl(playUrls(ref).flv);
  }, [rtc.on, kind, url]);

  const play = () => {
    const s = toSource(url.trim(), kind, rtcOff);
    if ('error' in s) {
      setError(s.error);
      return;
    }
    setError(null);
    setSource(s);
  };

  // SRS's rtc_player.html?autostart=true: a WebRTC source starts once the server says it serves WebRTC
  const autoRtc = useRef(!!initial && initial.kind === 'webrtc' && autostart(params));
  useEffect(() => {
    if (!autoRtc.current || rtc.on !== true) return;
    autoRtc.current = false;
    play();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rtc.on]);

  return (
    <>
      <PageHeader
        title="Player"
        description={`Play any stream over HTTP-FLV or HLS${rtc.on === true ? ' or WebRTC' : ''} (SRS player URLs land here)`}
      />
      {rtc.on === false && (initial?.kind === 'webrtc' || kind === 'webrtc') && (
        <p role="alert" className="mb-4 rounded-lg border border-warn/40 bg-warn/10 px-4 py-3 text-sm" data-testid="rtc-unavailable">
          {rtc.reason} Play this stream over HTTP-FLV or HLS instead.
        </p>
      )}
      <Card bodyClassName="p-4">
        <form
          className="flex flex-wrap items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            play();
          }}
        >
          <TextField
            label="Stream URL"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            className="min-w-[20rem] flex-1"
            placeholder={rtc.on === true ? 'http://host:8080/live/livestream.flv or webrtc://host/live/livestream' : 'http://host:8080/live/livestream.flv'}
            inputMode="url"
            spellCheck={false}
          />
          <SelectField label="Protocol" value={kind} onChange={(e) => setKind(e.target.value as PlayKind | 'auto')} className="w-52">
            {KINDS.filter((k) => k.id !== 'webrtc' || rtc.on === true).map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </SelectField>
          <Button type="submit" variant="primary">
            Play
          </Button>
          <Button onClick={() => setSource(null)} disabled={!source}>
            Stop
          </Button>
        </form>
        {error && (
          <p role="alert" className="mt-2 text-sm text-danger">
            {error}
          </p>
        )}
        {/* 16:9 and no taller than the window leaves under the form (a laptop screen shows it all) */}
        <div className="mx-auto mt-4 max-w-[min(64rem,calc((100vh_-_18rem)*16/9))] min-w-[20rem]">
          <VideoPlayer source={source} />
          {source && <p className="mt-2 truncate font-mono text-xs text-muted">{source.url}</p>}
        </div>
      </Card>
    </>
  );
}
