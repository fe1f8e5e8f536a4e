'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import { Toaster } from '@/components/ui/Toast';
import { LiveFeed } from '@/components/live/LiveFeed';
import { useLive } from '@/lib/live-store';
import { apiBase, useHydrated, useSettings } from '@/lib/settings';
import { LoginDialog } from './LoginDialog';
import { SettingsDialog } from './SettingsDialog';
import { ThemeToggle } from './ThemeToggle';

const NAV: { href: string; label: string; icon: ReactNode }[] = [
  { href: '/', label: 'Overview', icon: <path d="M3 13h8V3H3zM13 21h8V11h-8zM3 21h8v-6H3zM13 3v6h8V3z" /> },
  { href: '/streams/', label: 'Streams', icon: <path d="M4 6h16M4 12h16M4 18h10" /> },
  { href: '/clients/', label: 'Clients', icon: <path d="M16 21v-2a4 4 0 00-4-4H6a4 4 0 00-4 4v2M9 11a4 4 0 100-8 4 4 0 000 8zM22 21v-2a4 4 0 00-3-3.9M16 3.1a4 4 0 010 7.8" /> },
  { href: '/recordings/', label: 'Recordings', icon: <><circle cx="12" cy="12" r="9" /><circle cx="12" cy="12" r="3.5" fill="currentColor" /></> },
  { href: '/history/', label: 'History', icon: <><circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 2" /></> },
  { href: '/player/', label: 'Player', icon: <path d="M6 4l14 8-14 8z" /> },
  { href: '/publisher/', label: 'Publisher', icon: <><rect x="2" y="6" width="14" height="12" rx="2" /><path d="M16 10l6-3v10l-6-3" /></> },
  { href: '/config/', label: 'Config', icon: <><circle cx="12" cy="12" r="3" /><path d="M19.4 15a1.7 1.7 0 00.3 1.8l.1.1a2 2 0 11-2.8 2.8l-.1-.1a1.7 1.7 0 00-1.8-.3 1.7 1.7 0 00-1 1.5V21a2 2 0 11-4 0v-.1a1.7 1.7 0 00-1.1-1.5 1.7 1.7 0 00-1.8.3l-.1.1a2 2 0 11-2.8-2.8l.1-.1a1.7 1.7 0 00.3-1.8 1.7 1.7 0 00-1.5-1H3a2 2 0 110-4h.1a1.7 1.7 0 001.5-1.1 1.7 1.7 0 00-.3-1.8l-.1-.1a2 2 0 112.8-2.8l.1.1a1.7 1.7 0 001.8.3H9a1.7 1.7 0 001-1.5V3a2 2 0 114 0v.1a1.7 1.7 0 001 1.5 1.7 1.7 0 001.8-.3l.1-.1a2 2 0 112.8 2.8l-.1.1a1.7 1.7 0 00-.3 1.8V9a1.7 1.7 0 001.5 1H21a2 2 0 110 4h-.1a1.7 1.7 0 00-1.5 1z" /></> },
];

function isActive(pathname: string, href: string): boolean {
  const p = pathname.replace(/\/+$/, '') || '/';
  const h = href.replace(/\/+$/, '') || '/';
  return h === '/' ? p === '/' : p === h || p.startsWith(h + '/');
}

function LiveIndicator() {
  const status = useLive((s) => s.status);
  const detail = useLive((s) => s.statusDetail);
  const map = {
    idle: { c: 'bg-muted', t: 'Starting' },
    connecting: { c: 'bg-warn animate-pulse', t: 'Connecting' },
    live: { c: 'bg-ok', t: 'Live (socket.io)' },
    polling: { c: 'bg-accent', t: 'Polling every 2 s' },
  }[status];
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-muted" title={detail || map.t} role="status" aria-live="polite">
      <span aria-hidden="true" className={`h-2 w-2 rounded-full ${map.c}`} />
      <span className="w-[7.5rem] truncate">{map.t}</span>
    </span>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname() ?? '/';
  const settings = useSettings();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const hydrated = useHydrated();
  const base = hydrated ? apiBase(settings) : '';

  return (
    <div className="flex min-h-screen flex-col lg:flex-row">
      <a href="#main" className="sr-only z-50 rounded bg-accent px-3 py-2 text-accent-fg focus:not-sr-only focus:fixed focus:top-2 focus:left-2">
        Skip to content
      </a>
      <aside className="border-b border-border bg-surface lg:w-48 lg:shrink-0 lg:border-r lg:border-b-0">
        <div className="lg:sticky lg:top-0">
        <div className="flex h-14 items-center gap-2 px-4">
          <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" className="text-accent">
            <circle cx="12" cy="12" r="10" fill="currentColor" opacity="0.15" />
            <path d="M9 7.5v9l7.5-4.5z" fill="currentColor" />
          </svg>
          <span className="font-semibold tracking-tight">tsrs console</span>
        </div>
        <nav aria-label="Main" className="overflow-x-auto px-2 pb-2 lg:pb-0">
          <ul className="flex gap-1 lg:flex-col">
            {NAV.map((n) => {
              const active = isActive(pathname, n.href);
              return (
                <li key={n.href}>
                  <Link
                    href={n.href}
                    aria-current={active ? 'page' : undefined}
                    className={`flex items-center gap-2.5 rounded-md px-3 py-2 text-sm whitespace-nowrap ${
                      active ? 'bg-accent/10 font-medium text-accent' : 'text-fg hover:bg-surface-2'
                    }`}
                  >
                    <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
                      {n.icon}
                    </svg>
                    {n.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        </div>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-10 flex h-14 items-center justify-between gap-3 border-b border-border bg-surface/90 px-4 backdrop-blur lg:px-6">
          <div className="flex min-w-0 items-center gap-3">
            <LiveIndicator />
            <span className="hidden truncate font-mono text-xs text-muted md:inline" title="API address">
              {base}
            </span>
          </div>
          <div className="flex items-center gap-2">
            <ThemeToggle />
            <button
              type="button"
              onClick={() => setSettingsOpen(true)}
              className="inline-flex h-8 items-center gap-1.5 rounded-md border border-border px-2 text-xs text-fg hover:bg-surface-2"
            >
              <svg aria-hidden="true" width="15" height="15" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
                <path d="M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6" />
              </svg>
              Settings
            </button>
          </div>
        </header>
        <main id="main" className="min-w-0 flex-1 px-4 py-5 lg:px-6">
          {children}
        </main>
      </div>
      <SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
      <LoginDialog />
      <LiveFeed />
      <Toaster />
    </div>
  );
}
