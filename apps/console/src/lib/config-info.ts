/** Reads facts out of whatever the config route returned (tsrs JSON, SRS raw_api JSON or srs.conf text). */

function truthy(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'on' || v === 'true' || v === 1) return true;
  if (v === 'off' || v === 'false' || v === 0) return false;
  return null;
}

function find(obj: unknown, key: string, depth = 0): unknown {
  if (!obj || typeof obj !== 'object' || depth > 6) return undefined;
  if (key in (obj as Record<string, unknown>)) return (obj as Record<string, unknown>)[key];
  for (const v of Object.values(obj as Record<string, unknown>)) {
    const r = find(v, key, depth + 1);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** true/false when the config says whether rtc_server is enabled, null when it does not tell. */
export function rtcEnabledFromConfig(body: unknown): boolean | null {
  if (typeof body === 'string') {
    const m = /rtc_server\s*\{[^}]*?\benabled\s+(on|off)\s*;/s.exec(body);
    return m ? m[1] === 'on' : null;
  }
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['text', 'conf', 'content']) if (typeof o[k] === 'string') return rtcEnabledFromConfig(o[k]);
  }
  const rtc = find(body, 'rtc_server');
  if (rtc && typeof rtc === 'object') return truthy((rtc as Record<string, unknown>).enabled);
  // SRS raw_api answer carries no rtc information.
  return null;
}

/** The config text to show: a string field (srs.conf text) if present, else pretty JSON. */
export function configText(body: unknown): { text: string; kind: 'conf' | 'json' } {
  if (typeof body === 'string') return { text: body, kind: 'conf' };
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['text', 'conf', 'content']) if (typeof o[k] === 'string') return { text: o[k] as string, kind: 'conf' };
    const rest = { ...o };
    for (const k of ['code', 'server', 'service', 'pid']) delete rest[k];
    return { text: JSON.stringify(rest, null, 2), kind: 'json' };
  }
  return { text: String(body), kind: 'json' };
}
