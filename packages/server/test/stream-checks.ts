/** Test helpers: checks on what a player received, whatever the protocol it came over. */
import assert from 'node:assert/strict';

/** One coded video frame as a player saw it. */
export interface VideoFrame {
  /** timestamp, ms */
  ts: number;
  keyframe: boolean;
}

/**
 * What a player got is a valid stream: timestamps never go back, the first frame is a keyframe
 * (unless `fromKeyframe` is false) and after every gap (media dropped from its queue: a jump of
 * more than `gapMs`) the next frame is a keyframe, so it decodes on from there.
 * Returns the number of gaps.
 */
export function assertResumesAtKeyframes(video: readonly VideoFrame[], what: string, gapMs = 500, fromKeyframe = true): number {
  if (fromKeyframe && video.length > 0) assert.ok(video[0].keyframe, `${what}: the first frame (at ${video[0].ts} ms) is not a keyframe`);
  let gaps = 0;
  for (let i = 1; i < video.length; i++) {
    const a = video[i - 1];
    const b = video[i];
    assert.ok(b.ts >= a.ts, `${what}: timestamp went back from ${a.ts} to ${b.ts}`);
    if (b.ts - a.ts > gapMs) {
      gaps++;
      assert.ok(b.keyframe, `${what}: after a ${b.ts - a.ts} ms gap at ${a.ts} the next frame is not a keyframe`);
    }
  }
  return gaps;
}
