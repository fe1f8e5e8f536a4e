import type { ButtonHTMLAttributes, ReactNode } from 'react';

const TONES = {
  default: 'text-fg hover:bg-surface-2',
  danger: 'text-danger hover:bg-danger hover:text-white hover:border-danger',
  active: 'text-danger bg-danger/10 border-danger/40 hover:bg-danger/20',
};

/** Square icon button; `label` is its accessible name and tooltip. */
export function IconButton({
  label,
  tone = 'default',
  children,
  className = '',
  ...rest
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'aria-label'> & { label: string; tone?: keyof typeof TONES; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      className={`inline-flex h-7 w-7 shrink-0 items-center justify-center rounded-md border border-border bg-surface transition-colors disabled:cursor-not-allowed disabled:opacity-40 ${TONES[tone]} ${className}`}
      {...rest}
    >
      <svg aria-hidden="true" width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
        {children}
      </svg>
    </button>
  );
}

export const ICONS = {
  play: <path d="M7 4l13 8-13 8z" fill="currentColor" stroke="none" />,
  record: <circle cx="12" cy="12" r="6" fill="currentColor" stroke="none" />,
  stop: <rect x="6" y="6" width="12" height="12" rx="1.5" fill="currentColor" stroke="none" />,
  link: <path d="M10 14a4 4 0 005.7 0l3-3a4 4 0 00-5.7-5.7l-1 1M14 10a4 4 0 00-5.7 0l-3 3a4 4 0 005.7 5.7l1-1" />,
  kick: <path d="M16 21v-2a4 4 0 00-4-4H6a4 4 0 00-4 4v2M9 11a4 4 0 100-8 4 4 0 000 8zM17 8l5 5M22 8l-5 5" />,
  details: <path d="M9 6l6 6-6 6" />,
};
