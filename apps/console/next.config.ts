import type { NextConfig } from 'next';
import { PHASE_DEVELOPMENT_SERVER } from 'next/constants';

/** Where `next dev` proxies the API, WebRTC signalling and socket.io (a local tsrs). */
const DEV_API = process.env.TSRS_API ?? 'http://127.0.0.1:1985';

export default function config(phase: string): NextConfig {
  const base: NextConfig = {
    basePath: '/console',
    trailingSlash: true,
    images: { unoptimized: true },
    reactStrictMode: true,
    poweredByHeader: false,
  };
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    // Rewrites do not exist in a static export, so only the dev server gets them.
    return {
      ...base,
      // trailingSlash would otherwise 308 /api/v1/summaries to /api/v1/summaries/ before proxying.
      skipTrailingSlashRedirect: true,
      async rewrites() {
        return [
          { source: '/api/:path*', destination: `${DEV_API}/api/:path*`, basePath: false },
          { source: '/rtc/:path*', destination: `${DEV_API}/rtc/:path*`, basePath: false },
          { source: '/socket.io/:path*', destination: `${DEV_API}/socket.io/:path*`, basePath: false },
        ];
      },
    };
  }
  return { ...base, output: 'export' };
}
