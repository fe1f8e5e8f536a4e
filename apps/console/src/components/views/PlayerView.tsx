'use client';

import { useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { SelectField, TextField } from '@/components/ui/Field';
import { PageHeader } from '@/components/ui/PageHeader';
import { VideoPlayer, type PlayerSource } from '@/components/player/VideoPlayer';
import { autostart, kindOfUrl, rtcEndpoint, targetFromQuery, type PlayKind } from '@/lib/srs-params';
import { playUrls } from '@/lib/urls';

const KINDS: { id: PlayKind | 'auto'; label: string }[] = [
  { id: 'auto', label: 'Auto (from URL)' },
  { id: 'flv', label: 'HTTP-FLV (mpegts.js)' },
  { id: 'hls', label: 'HLS (hls.js)' },
  { id: 'webrtc', label: 'WebRTC (WHEP)' },
  { id: 'mp4', label: 'MP4 file' },
];

function toSource(url: string, kind: PlayKind | 'auto'): PlayerSource | { error: string } {
  const k = kind === 'auto' ? kindOfUrl(url) : kind;
  if (!k) return { error: 'Cannot tell the protocol from this URL: pick one.' };
  if (k === 'webrtc') {
    const whep = /^https?:\/\//i.test(url) ? url : rtcEndpoint(url, 'whep');
    if (!whep) return { error: 'A WebRTC URL looks like webrtc://host/app/stream' };
    return { kind: 'webrtc', url: whep, live: true };
  }
  return { kind: k, url, live: k !== 'mp4' };
}

export function PlayerView() {
  const params = useSearchParams();
  const initial = useMemo(() => targetFromQuery(params), [params]);
  const [url, setUrl] = useState(() => initial?.url ?? playUrls({ app: 'live', stream: 'livestream' }).flv);
  const [kind, setKind] = useState<PlayKind | 'auto'>(() => (initial ? initial.kind : 'auto'));
  const [source, setSource] = useState<PlayerSource | null>(() => {
    if (!initial || !autostart(params)) return null;
    const s = toSource(initial.url, initial.kind);
    return 'error' in s ? null : s;
  });
  const [error, setError] = useState<string | null>(null);

  const play = () => {
    const s = toSource(url.trim(), kind);
    if ('error' in s) {
      setError(s.error);
      return;
    }
    setError(null);
    setSource(s);
  };

  return (
    <>
      <PageHeader title="Player" description="Play any stream over HTTP-FLV, HLS or WebRTC (SRS player URLs land here)" />
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
            placeholder="http://host:8080/live/livestream.flv or webrtc://host/live/livestream"
            inputMode="url"
            spellCheck={false}
          />
          <SelectField label="Protocol" value={kind} onChange={(e) => setKind(e.target.value as PlayKind | 'auto')} className="w-52">
            {KINDS.map((k) => (
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
