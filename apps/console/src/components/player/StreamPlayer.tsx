'use client';

import { useMemo, useState } from 'react';
import { Segmented } from '@/components/ui/Segmented';
import { useRtcEnabled } from '@/hooks/useServer';
import { playUrls, type StreamRef } from '@/lib/urls';
import { VideoPlayer, type PlayerSource } from './VideoPlayer';

const PROTOCOLS = [
  { value: 'flv', label: 'HTTP-FLV' },
  { value: 'hls', label: 'HLS' },
  { value: 'webrtc', label: 'WebRTC' },
] as const;
type Proto = (typeof PROTOCOLS)[number]['value'];

/** The embedded live player with a protocol switch (WebRTC only when the server serves it). */
export function StreamPlayer({ stream, initial = 'flv' }: { stream: StreamRef; initial?: Proto }) {
  const rtc = useRtcEnabled();
  const [chosen, setProto] = useState<Proto>(initial);
  const proto: Proto = chosen === 'webrtc' && rtc.on !== true ? 'flv' : chosen;
  const options = rtc.on === true ? PROTOCOLS : PROTOCOLS.filter((p) => p.value !== 'webrtc');
  const { app, stream: name, vhost } = stream;
  const urls = useMemo(() => playUrls({ app, stream: name, vhost }), [app, name, vhost]);
  const source = useMemo<PlayerSource>(
    () => ({ kind: proto, url: proto === 'flv' ? urls.flv : proto === 'hls' ? urls.hls : urls.whep, live: true }),
    [proto, urls],
  );
  return (
    <div>
      <div className="mb-2 flex flex-wrap items-center gap-x-3 gap-y-1">
        <Segmented label="Protocol" options={options} value={proto} onChange={setProto} />
        {rtc.on === false && (
          <span className="text-xs text-muted" data-testid="rtc-unavailable">
            {rtc.reason}
          </span>
        )}
      </div>
      <VideoPlayer source={source} />
      <p className="mt-2 truncate font-mono text-xs text-muted" title={source.url}>
        {source.url}
      </p>
    </div>
  );
}
