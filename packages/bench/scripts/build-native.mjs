#!/usr/bin/env node
// Builds native/rtp_recv.node, the WebRTC players' datagram reads (src/rtp-recv.ts), as tsrs
// builds its own native module; without it the players read datagrams in JavaScript.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from '@tsrs/server/scripts/build-native.mjs';

buildNative(join(dirname(fileURLToPath(import.meta.url)), '..', 'native'), 'rtp_recv', 'bench: native RTP receiver not built; WebRTC players read datagrams in JavaScript');
