'use client';

import { useMemo, useState } from 'react';
import { playUrls, type StreamRef } from '@/lib/urls';
import { VideoPlayer, type PlayerSource } from './VideoPlayer';

const PROTOCOLS = [
  { id: 'flv', label: 'HTTP-FLV' },
  { id: 'hls', label: 'HLS' },
  { id: 'webrtc', label: 'WebRTC' },
] as const;
type Proto = (typeof PROTOCOLS)[number]['id'];

/** The embedded live player with a protocol switch. */
export function StreamPlayer({ stream, initial = 'flv' }: { stream: StreamRef; initial?: Proto }) {
  const [proto, setProto] = useState<Proto>(initial);
  const { app, stream: name, vhost } = stream;
  const urls = useMemo(() => playUrls({ app, stream: name, vhost }), [app, name, vhost]);
  const source = useMemo<PlayerSource>(
    () => ({ kind: proto, url: proto === 'flv' ? urls.flv : proto === 'hls' ? urls.hls : urls.whep, live: true }),
    [proto, urls],
  );
  return (
    <div>
      <div role="group" aria-label="Protocol" className="mb-2 inline-flex rounded-md border border-border bg-surface p-0.5">
        {PROTOCOLS.map((p) => (
          <button
            key={p.id}
            type="button"
            aria-pressed={proto === p.id}
            onClick={() => setProto(p.id)}
            className={`h-7 rounded px-3 text-xs ${proto === p.id ? 'bg-accent text-accent-fg' : 'text-fg hover:bg-surface-2'}`}
          >
            {p.label}
          </button>
        ))}
      </div>
      <VideoPlayer source={source} />
      <p className="mt-2 truncate font-mono text-xs text-muted" title={source.url}>
        {source.url}
      </p>
    </div>
  );
}
