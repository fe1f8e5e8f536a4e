import type { Metadata } from 'next';
import { Suspense } from 'react';
import { Loading } from '@/components/ui/States';
import { PlayerView } from '@/components/views/PlayerView';

export const metadata: Metadata = { title: 'Player' };

/** Also the target of SRS's /players/srs_player.html and /players/rtc_player.html. */
export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <PlayerView />
    </Suspense>
  );
}
