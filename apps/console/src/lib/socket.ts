/**
 * socket.io connection to the API origin (path /socket.io/). Credentials go both in the handshake
 * `auth` payload and, for the HTTP long-polling transport, as a Basic Authorization header.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LiveAuth, LiveCluster, LiveEvent, LiveHistory, LiveStream, LiveSummary, ServerToClientEvents } from './types';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface LiveHandlers {
  onStatus(connected: boolean, detail: string): void;
  onSummary(s: LiveSummary): void;
  onStreams(s: LiveStream[]): void;
  onEvent(e: LiveEvent): void;
  /** with a registry, once a second: the other nodes of the cluster */
  onCluster(c: LiveCluster): void;
  /** the server's recent summaries, once per connection */
  onHistory(h: LiveHistory): void;
}

/** The console's saved credentials (`authorization`: the Basic header, null without credentials). */
export interface LiveCredentials {
  username: string;
  password: string;
  authorization: string | null;
}

export function connectLive(base: string, auth: LiveCredentials, h: LiveHandlers): () => void {
  const extraHeaders: Record<string, string> = {};
  if (auth.authorization) extraHeaders.Authorization = auth.authorization;
  const handshake: LiveAuth = auth.authorization ? { username: auth.username, password: auth.password, token: auth.authorization } : {};
  const socket: LiveSocket = io(base, {
    path: '/socket.io/',
    auth: handshake,
    extraHeaders,
    // Polling first so the Authorization header is sent on the handshake; upgrades to websocket.
    transports: ['polling', 'websocket'],
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 30_000,
    timeout: 5000,
  });
  socket.on('connect', () => h.onStatus(true, ''));
  socket.on('disconnect', (reason) => h.onStatus(false, `socket.io disconnected (${reason})`));
  socket.on('connect_error', (err) => h.onStatus(false, `socket.io unavailable (${err.message})`));
  socket.on('summary', h.onSummary);
  socket.on('streams', h.onStreams);
  socket.on('event', h.onEvent);
  socket.on('history', h.onHistory);
  socket.on('cluster', h.onCluster);
  return () => {
    socket.removeAllListeners();
    socket.disconnect();
  };
}
