import type { Metadata } from 'next';
import { StreamsView } from '@/components/views/StreamsView';

export const metadata: Metadata = { title: 'Streams' };

export default function Page() {
  return <StreamsView />;
}
