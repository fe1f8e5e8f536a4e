/** One segment as the media playlist lists it. */
export interface PlaylistEntry {
  seq: number;
  /** seconds */
  duration: number;
  /** URI as written (relative to the m3u8, or with hls_entry_prefix) */
  uri: string;
  /** absolute path of the file (for cleanup) */
  file: string;
  /** first segment after a republish */
  discontinuity: boolean;
  /** fMP4: the init segment's URI (EXT-X-MAP) */
  map?: string;
}

export interface PlaylistOptions {
  /**
   * seconds: the least EXT-X-TARGETDURATION (hls_fragment × hls_td_ratio, or the target already
   * published for this playlist, which RFC 8216 6.2.1 forbids to change)
   */
  minTargetDuration: number;
  /**
   * EXT-X-DISCONTINUITY-SEQUENCE: the EXT-X-DISCONTINUITY tags that have left the window
   * (RFC 8216 4.3.3.3, 6.2.2); written only when above 0 (absent means 0), so a playlist
   * without a republish reads as SRS writes it
   */
  discontinuitySequence?: number;
  /** 7 with fMP4 (EXT-X-MAP in a media playlist), else 3 */
  version: number;
}

/**
 * The EXT-X-TARGETDURATION, whole seconds: at least `minTarget`, and no segment longer. Like SRS,
 * the longest duration is taken in whole ms and rounded up (2.0004 s -> 2, 2.001 s -> 3), so
 * every EXTINF as written (3 decimals) rounds up to at most the target.
 */
export function targetDuration(entries: readonly PlaylistEntry[], minTarget: number): number {
  let max = minTarget;
  for (const e of entries) max = Math.max(max, e.duration);
  return Math.max(1, Math.ceil(Math.round(max * 1000) / 1000));
}

/** SRS's media playlist text. */
export function renderPlaylist(entries: readonly PlaylistEntry[], o: PlaylistOptions): string {
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${o.version}`,
    `#EXT-X-MEDIA-SEQUENCE:${entries.length ? entries[0].seq : 0}`,
  ];
  if (o.discontinuitySequence) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${o.discontinuitySequence}`);
  lines.push(`#EXT-X-TARGETDURATION:${targetDuration(entries, o.minTargetDuration)}`);
  let map: string | undefined;
  for (const e of entries) {
    if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (e.map && e.map !== map) {
      map = e.map;
      lines.push(`#EXT-X-MAP:URI="${e.map}"`);
    }
    lines.push(`#EXTINF:${e.duration.toFixed(3)}, no desc`, e.uri);
  }
  return lines.join('\n') + '\n';
}

/**
 * Slides the window: drops the oldest entries while the playlist is longer
 * than `windowSeconds` (the newest one always stays). Returns the dropped ones.
 */
export function slideWindow<E extends PlaylistEntry>(entries: E[], windowSeconds: number): E[] {
  let total = entries.reduce((a, e) => a + e.duration, 0);
  const dropped: E[] = [];
  while (entries.length > 1 && total > windowSeconds + 1e-6) {
    const e = entries.shift()!;
    total -= e.duration;
    dropped.push(e);
  }
  return dropped;
}

/** A parsed media playlist (for tests and tools). */
export interface ParsedPlaylist {
  version: number;
  mediaSequence: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE (0 when absent, RFC 8216 4.3.3.3) */
  discontinuitySequence: number;
  targetDuration: number;
  map: string | undefined;
  segments: { duration: number; uri: string; discontinuity: boolean }[];
}

export function parsePlaylist(text: string): ParsedPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines[0] !== '#EXTM3U') throw new Error('not an m3u8 playlist');
  const p: ParsedPlaylist = { version: 1, mediaSequence: 0, discontinuitySequence: 0, targetDuration: 0, map: undefined, segments: [] };
  let duration: number | undefined;
  let disc = false;
  for (const l of lines.slice(1)) {
    if (l.startsWith('#EXT-X-VERSION:')) p.version = Number(l.slice(15));
    else if (l.startsWith('#EXT-X-MEDIA-SEQUENCE:')) p.mediaSequence = Number(l.slice(22));
    else if (l.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) {
      if (p.segments.length > 0 || disc) throw new Error('EXT-X-DISCONTINUITY-SEQUENCE after a media segment or EXT-X-DISCONTINUITY');
      p.discontinuitySequence = Number(l.slice(30));
    } else if (l.startsWith('#EXT-X-TARGETDURATION:')) p.targetDuration = Number(l.slice(22));
    else if (l.startsWith('#EXT-X-MAP:')) p.map = /URI="([^"]*)"/.exec(l)?.[1];
    else if (l === '#EXT-X-DISCONTINUITY') disc = true;
    else if (l.startsWith('#EXTINF:')) duration = parseFloat(l.slice(8));
    else if (!l.startsWith('#')) {
      if (duration === undefined) throw new Error(`segment ${l} without #EXTINF`);
      p.segments.push({ duration, uri: l, discontinuity: disc });
      duration = undefined;
      disc = false;
    }
  }
  return p;
}
