/**
 * Secrets out of text that tsrs shows or logs (process arguments in /api/v1/processes, FFmpeg's
 * stderr, registry URLs): in every URL-like `scheme://user:password@host`, the password (all of the
 * userinfo after the first `:`, up to the last `@` before the host, so a password holding `@` is
 * hidden whole) becomes `***`; and the values of query parameters that carry secrets (`password`,
 * `passphrase`, `token`, `secret`, `key`, `auth`) likewise. Anything else is left as it was; text
 * without a URL comes back unchanged.
 */
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s@]*(?:@[^/\s@]*)*)@(?=[^/\s@]*(?:[/?#\s]|$))/gi;
const SECRET_PARAMS = /([?&](?:password|passphrase|token|secret|key|auth)=)[^&#\s]*/gi;

/** `text` with the passwords of its URLs and the values of secret query parameters as `***`. */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO, (_m, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
    })
    .replace(SECRET_PARAMS, '$1***');
}
