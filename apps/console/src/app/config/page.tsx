import type { Metadata } from 'next';
import { ConfigView } from '@/components/views/ConfigView';

export const metadata: Metadata = { title: 'Config' };

export default function Page() {
  return <ConfigView />;
}
