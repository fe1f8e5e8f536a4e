import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { AppShell } from '@/components/layout/AppShell';
import { Providers } from '@/components/layout/Providers';
import { THEME_BOOT_SCRIPT } from '@/lib/theme-script';
import './globals.css';

/** Served by tsrs beside the console (not part of this export); missing under `next dev`. */
const SERVER_SCRIPT = '/console/tsrs-server.js';

export const metadata: Metadata = {
  title: { default: 'tsrs console', template: '%s · tsrs console' },
  description: 'Live streams, clients, recordings and history of a tsrs server',
};

export const viewport: Viewport = {
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f4f6f9' },
    { media: '(prefers-color-scheme: dark)', color: '#0d1117' },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
        {/* The server's ports (window.__TSRS_SERVER__), before the app reads its API origin. */}
        {/* eslint-disable-next-line @next/next/no-sync-scripts */}
        <script src={SERVER_SCRIPT} />
      </head>
      <body>
        <Providers>
          <AppShell>{children}</AppShell>
        </Providers>
      </body>
    </html>
  );
}
