import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/ui/States';
import { PublisherView } from '@/components/views/PublisherView';

export const metadata: Metadata = { title: 'Publisher' };

/** Also the target of SRS's /players/rtc_publisher.html. */
export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <PublisherView />
    </Suspense>
  );
}
