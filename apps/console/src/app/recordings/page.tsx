import type { Metadata } from 'next';
import { RecordingsView } from '@/components/views/RecordingsView';

export const metadata: Metadata = { title: 'Recordings' };

export default function Page() {
  return <RecordingsView />;
}
