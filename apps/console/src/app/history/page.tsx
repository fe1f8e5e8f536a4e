import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/ui/States';
import { HistoryView } from '@/components/views/HistoryView';

export const metadata: Metadata = { title: 'History' };

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <HistoryView />
    </Suspense>
  );
}
