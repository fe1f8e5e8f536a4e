#!/usr/bin/env bash
# Before/after of two tsrs builds on one stream, in ABBA order (A, B, B, A) so that the load of a
# shared machine drifts over both alike; compare the ratio of the two, not the absolute figures.
#
#   scripts/abba.sh DIST_A DIST_B PROTO BITRATE COUNT
#     DIST_A, DIST_B  the dist/ directories of the two builds (their src/cli.js is run)
#   env: as measure.sh (DUR, RTC_RAMP, OUT, ...); LABEL_A / LABEL_B name the rows (default A / B)
# Prints, per run, the server's CPU microseconds per delivered packet (RTP packet for webrtc).
set -euo pipefail
A=$1 B=$2 PROTO=$3 RATE=$4 N=$5
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/../results.jsonl}
for X in A B B A; do
  if [ $X = A ]; then D=$A L=${LABEL_A:-A}; else D=$B L=${LABEL_B:-B}; fi
  LINE=$(TSRS_CLI=$D/src/cli.js LABEL=$L OUT=$OUT "$HERE/measure.sh" tsrs "$PROTO" "$RATE" "$N" | tail -1)
  echo "$LINE" | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));
    console.log([r.server,r.proto,r.connected+"/"+r.target,"cpu="+r.server_cpu_pct+"%","us/pkt="+r.server_cpu_us_per_packet,"p50/p95="+r.lag_ms_p50+"/"+r.lag_ms_p95,"client="+r.client_cpu_pct+"%","load="+r.loadavg[0]].join(" "))'
done
