import { Badge } from '@/components/ui/Badge';

/** Client types the console names in words (SRS's type strings stay visible beside them). */
const KNOWN: Record<string, { label: string; title: string }> = {
  'hls-play': {
    label: 'HLS',
    title: 'HLS viewer (an hls_ctx session): counted while it keeps fetching the playlist, gone after 2 × hls_window without a request',
  },
};

/** The client's protocol type, with a badge for the kinds a bare type string hides (HLS viewers). */
export function ClientType({ type }: { type: string }) {
  const known = KNOWN[type];
  return (
    <span className="inline-flex items-center gap-2" data-testid="client-type" data-type={type}>
      {known && (
        <Badge tone="ok" title={known.title}>
          {known.label}
        </Badge>
      )}
      {type}
    </span>
  );
}
