/** Minimal structured logger; a pino logger fits as is. */
export interface HistoryLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Used when the server passes no logger: problems go to stderr, routine messages nowhere. */
export const stderrLogger: HistoryLogger = {
  info() {},
  warn(obj, msg) {
    console.error('[db] warn:', msg ?? '', obj);
  },
  error(obj, msg) {
    console.error('[db] error:', msg ?? '', obj);
  },
};

/** Errors as loggable plain objects (pino serialises `err`, console prints the message). */
export function errInfo(err: unknown): { err: { name?: string; code?: string; message: string } } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err: { name: err.name, code: typeof code === 'string' ? code : undefined, message: err.message } };
  }
  return { err: { message: String(err) } };
}
