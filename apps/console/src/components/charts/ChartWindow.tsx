'use client';

import { Segmented } from '@/components/ui/Segmented';

export const CHART_WINDOWS = [
  { value: 60_000, label: '1 min' },
  { value: 5 * 60_000, label: '5 min' },
  { value: 10 * 60_000, label: '10 min' },
];

/** The time span the live charts show (the live store keeps 10 minutes). */
export function ChartWindow({ value, onChange }: { value: number; onChange: (ms: number) => void }) {
  return <Segmented label="Chart window" options={CHART_WINDOWS} value={value} onChange={onChange} />;
}
