'use client';

import { useMemo, useState } from 'react';
import { Segmented } from '@/components/ui/Segmented';
import { playUrls, type StreamRef } from '@/lib/urls';
import { VideoPlayer, type PlayerSource } from './VideoPlayer';

const PROTOCOLS = [
  { value: 'flv', label: 'HTTP-FLV' },
  { value: 'hls', label: 'HLS' },
  { value: 'webrtc', label: 'WebRTC' },
] as const;
type Proto = (typeof PROTOCOLS)[number]['value'];

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
      <Segmented label="Protocol" options={PROTOCOLS} value={proto} onChange={setProto} className="mb-2" />
      <VideoPlayer source={source} />
      <p className="mt-2 truncate font-mono text-xs text-muted" title={source.url}>
        {source.url}
      </p>
    </div>
  );
}
