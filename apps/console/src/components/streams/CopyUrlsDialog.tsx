'use client';

import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { copyText } from '@/components/ui/Toast';
import { useRtcEnabled } from '@/hooks/useServer';
import { playUrls, type StreamRef } from '@/lib/urls';

export function CopyUrlsDialog({ stream, onClose }: { stream: StreamRef | null; onClose: () => void }) {
  const rtc = useRtcEnabled();
  const urls = stream ? playUrls(stream) : null;
  const rows: [string, string][] = urls
    ? [
        ['RTMP', urls.rtmp],
        ['HTTP-FLV', urls.flv],
        ['HLS', urls.hls],
        ...(rtc.on === true
          ? ([
              ['WebRTC', urls.webrtc],
              ['WHEP', urls.whep],
            ] as [string, string][])
          : []),
      ]
    : [];
  return (
    <Dialog open={!!stream} onClose={onClose} title="Play URLs" description={stream ? `${stream.app}/${stream.stream}` : undefined} wide>
      <ul className="grid gap-2">
        {rows.map(([label, url]) => (
          <li key={label} className="flex items-center gap-2">
            <span className="w-20 shrink-0 text-xs font-medium text-muted">{label}</span>
            <input
              readOnly
              value={url}
              aria-label={`${label} URL`}
              onFocus={(e) => e.currentTarget.select()}
              className="h-8 min-w-0 flex-1 rounded-md border border-border bg-surface-2 px-2 font-mono text-xs"
            />
            <Button size="sm" onClick={() => copyText(url, `${label} URL`)}>
              Copy
            </Button>
          </li>
        ))}
      </ul>
      {rtc.on === false && (
        <p className="mt-3 text-xs text-muted" data-testid="rtc-unavailable">
          No WebRTC or WHEP URL: {rtc.reason}
        </p>
      )}
    </Dialog>
  );
}
