import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/ui/States';
import { StreamDetailView } from '@/components/views/StreamDetailView';

export const metadata: Metadata = { title: 'Stream' };

/** /console/streams/detail/?id=vid-xxxxxxx (static export: the id is a query parameter). */
export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <StreamDetailView />
    </Suspense>
  );
}
