/** /api/v1/processes for the child-process tests. */
import { api } from './api-helpers.js';
import type { RunningServer } from './harness.js';

export interface Proc {
  pid: number;
  name: string;
  command: string;
  args: string[];
  state: string;
  uptime: number;
  restarts: number;
  stream: string;
  cid: string;
}

export async function processes(server: RunningServer): Promise<Proc[]> {
  return (await api<{ processes: Proc[] }>(server, '/api/v1/processes')).json.processes;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

