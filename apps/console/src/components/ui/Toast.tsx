'use client';

import { useSyncExternalStore } from 'react';

/** Tiny global toast queue for short confirmations ("Copied", "Recording started"). */
interface ToastItem {
  id: number;
  text: string;
  tone: 'ok' | 'error';
}

let items: ToastItem[] = [];
let seq = 0;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function toast(text: string, tone: 'ok' | 'error' = 'ok'): void {
  const id = ++seq;
  items = [...items, { id, text, tone }];
  emit();
  setTimeout(() => {
    items = items.filter((t) => t.id !== id);
    emit();
  }, tone === 'error' ? 6000 : 2500);
}

const EMPTY: ToastItem[] = [];

export function Toaster() {
  const list = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => items,
    () => EMPTY,
  );
  return (
    <div aria-live="polite" role="status" data-testid="toasts" className="pointer-events-none fixed right-4 bottom-4 z-50 flex flex-col gap-2">
      {list.map((t) => (
        <div
          key={t.id}
          className={`pointer-events-auto max-w-sm rounded-md border px-3 py-2 text-sm shadow-lg ${
            t.tone === 'error' ? 'border-danger/40 bg-surface text-danger' : 'border-border bg-surface text-fg'
          }`}
        >
          {t.text}
        </div>
      ))}
    </div>
  );
}

export async function copyText(text: string, what = 'URL'): Promise<void> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
    } else {
      // http:// pages on a LAN address have no async clipboard; use a hidden textarea.
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    toast(`Copied ${what}`);
  } catch {
    toast(`Could not copy ${what}`, 'error');
  }
}
