import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

const INPUT =
  'h-9 w-full rounded-md border border-border bg-surface px-2.5 text-sm text-fg placeholder:text-muted focus:border-accent focus:outline-none';

export function TextField({ label, hint, className = '', ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode }) {
  const id = useId();
  const hintId = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-muted">
        {label}
      </label>
      <input id={id} aria-describedby={hint ? hintId : undefined} className={INPUT} {...rest} />
      {hint && (
        <p id={hintId} className="mt-1 text-xs text-muted">
          {hint}
        </p>
      )}
    </div>
  );
}

export function SelectField({
  label,
  className = '',
  children,
  ...rest
}: SelectHTMLAttributes<HTMLSelectElement> & { label: string; children: ReactNode }) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-muted">
        {label}
      </label>
      <select id={id} className={INPUT} {...rest}>
        {children}
      </select>
    </div>
  );
}

/** Search box with a visually hidden label. */
export function SearchInput({ label, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: string }) {
  const id = useId();
  return (
    <div className="relative w-64 max-w-full">
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <svg aria-hidden="true" className="pointer-events-none absolute top-2.5 left-2.5 text-muted" width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
        <circle cx="11" cy="11" r="7" />
        <path d="M20 20l-3.5-3.5" />
      </svg>
      <input id={id} type="search" className={`${INPUT} pl-8`} {...rest} />
    </div>
  );
}

/** A form's error line (announced). */
export function FormError({ error }: { error: ReactNode }) {
  return error ? (
    <p role="alert" className="text-sm text-danger">
      {error}
    </p>
  ) : null;
}
