'use client';

import type { ReactNode } from 'react';
import { ApiError, describeError } from '@/lib/api';
import { Button } from './Button';

export function Loading({ label = 'Loading…', className = '' }: { label?: string; className?: string }) {
  return (
    <div role="status" aria-live="polite" className={`flex items-center gap-3 px-4 py-10 text-sm text-muted ${className}`}>
      <span aria-hidden="true" className="h-4 w-4 animate-spin rounded-full border-2 border-border border-t-accent" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children, className = '' }: { title: string; children?: ReactNode; className?: string }) {
  return (
    <div className={`px-4 py-10 text-center ${className}`}>
      <p className="text-sm font-medium">{title}</p>
      {children && <div className="mt-1 text-sm text-muted">{children}</div>}
    </div>
  );
}

/** Explains a failed query; a 404 means the server does not have the route (yet). */
export function ErrorState({
  error,
  onRetry,
  what,
  className = '',
}: {
  error: unknown;
  onRetry?: () => void;
  what?: string;
  className?: string;
}) {
  const missing = error instanceof ApiError && error.kind === 'not-found';
  const auth = error instanceof ApiError && error.kind === 'auth';
  return (
    <div role="alert" className={`mx-auto max-w-xl px-4 py-10 text-center ${className}`}>
      <p className="text-sm font-semibold text-danger">
        {missing ? `This server does not offer ${what ?? 'this feature'} yet` : auth ? 'Sign-in required' : `Could not load ${what ?? 'data'}`}
      </p>
      <p className="mt-1 text-sm break-words text-muted">{describeError(error)}</p>
      {missing && <p className="mt-1 text-xs text-muted">The server does not implement this route yet; other pages keep working.</p>}
      {onRetry && (
        <Button className="mt-4" size="sm" onClick={onRetry}>
          Retry
        </Button>
      )}
    </div>
  );
}

/** What QueryBody reads of a TanStack query result. */
export interface QueryLike {
  isPending: boolean;
  error: unknown;
  data?: unknown;
  refetch?: () => unknown;
}

/**
 * The body of a card showing a query: a spinner while loading (when there is a `loading` label),
 * the error while there is nothing to show, else `empty` (an EmptyState) when set, else the children.
 */
export function QueryBody({
  query,
  loading,
  what,
  empty,
  children,
}: {
  query: QueryLike;
  loading?: string;
  what: string;
  empty?: ReactNode;
  children?: ReactNode;
}) {
  const { isPending, error, data, refetch } = query;
  if (loading && isPending) return <Loading label={loading} />;
  if (error && data === undefined) return <ErrorState error={error} what={what} onRetry={refetch && (() => refetch())} />;
  return <>{empty || children}</>;
}

/** Under a table whose last refresh failed while older rows are shown. */
export function StaleNote({ show }: { show: boolean }) {
  return show ? <p className="mt-2 text-xs text-danger">Refresh failed: the table shows the last answer.</p> : null;
}
