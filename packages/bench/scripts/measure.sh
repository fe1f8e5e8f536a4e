#!/usr/bin/env bash
# Fan-out benchmark on a 2-core box: the server pinned to core 0, publisher and players
# on core 1, loopback only, bounded runs. One JSON line per run goes to $OUT.
#
#   scripts/measure.sh SERVER PROTO BITRATE COUNT...
#     SERVER   tsrs | tsrs-minlat | tsrs-edge | nms | floor
#              tsrs-edge: the measured server is a tsrs edge (core 0) pulling from a tsrs origin
#              (core 1, with the publisher and players), as conf/edge.conf
#     PROTO    rtmp | flv | webrtc, or several: rtmp,webrtc (floor: flv only; webrtc: tsrs only,
#              WHEP players of the RTMP-published stream, rtmp_to_rtc)
#     BITRATE  500k | 2m         (media/<BITRATE>.flv, made by `tsrs-bench gen`)
#   env: DUR (steady seconds, 15), RAMP (players/s, 500), RTC_RAMP (WebRTC players/s, 10),
#        RTC_WARMUP (seconds after the WebRTC ramp, 8: joins finish, GOP cache bursts pass), OUT (results.jsonl), WORK (/tmp/tsrs-bench),
#        TSRS_CLI (the tsrs cli.js to run, default this checkout's; another build for before/after),
#        LABEL (the "server" field of the JSON line, default SERVER), PORT_OFFSET (0),
#        TSRS_CONF_EXTRA (global directives added to the tsrs config, e.g. a circuit_breaker block),
#        CLIENT_NODE_FLAGS (node flags of the players' process, e.g. --cpu-prof)
set -euo pipefail
SERVER=$1 PROTO=$2 RATE=$3
shift 3
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLI="node $HERE/dist/src/cli.js"
DUR=${DUR:-15} RAMP=${RAMP:-500} RTC_RAMP=${RTC_RAMP:-10} RTC_WARMUP=${RTC_WARMUP:-8} OUT=${OUT:-$HERE/results.jsonl} WORK=${WORK:-/tmp/tsrs-bench}
MEDIA=$HERE/media/$RATE.flv
TSRS_CLI=${TSRS_CLI:-$ROOT/packages/server/dist/src/cli.js} LABEL=${LABEL:-$SERVER}
# PORT_OFFSET: added to every port (another bench on the same machine)
O=${PORT_OFFSET:-0}
RTMP=$((19351 + O)) HTTP=$((18081 + O)) API=$((19851 + O)) ORIGIN_RTMP=$((19361 + O)) ORIGIN_API=$((19861 + O)) RTC=$((18001 + O))
case ,$PROTO, in *,webrtc,*) WEBRTC=1 ;; *) WEBRTC= ;; esac
mkdir -p "$WORK"
mkdir -p "$(dirname "$MEDIA")"
[ -f "$MEDIA" ] || $CLI gen -o "$MEDIA" -b "$RATE" -d 20
ulimit -n "$(ulimit -Hn)" || true

cleanup() { for p in ${PUB:-} ${SRV:-} ${ORIGIN:-}; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

case $SERVER in
  tsrs | tsrs-minlat)
    cat > "$WORK/tsrs.conf" <<CONF
listen $RTMP;
max_connections 20000;
daemon off;
srs_log_tank console;
http_api { enabled on; listen $API; }
http_server { enabled on; listen $HTTP; dir ./html; }
$([ -n "$WEBRTC" ] && echo "rtc_server { enabled on; listen $RTC; candidate 127.0.0.1; max_pending_sessions_per_ip 0; }")
${TSRS_CONF_EXTRA:-}
vhost __defaultVhost__ {
  $([ "$SERVER" = tsrs-minlat ] && echo 'min_latency on;')
  $([ -n "$WEBRTC" ] && echo 'rtc { enabled on; rtmp_to_rtc on; }')
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
}
CONF
    (cd "$WORK" && exec taskset -c 0 node ${NODE_FLAGS:-} "$TSRS_CLI" -c tsrs.conf > "$WORK/server.log" 2>&1) &
    SRV=$!
    URL_RTMP=rtmp://127.0.0.1:$RTMP/live/s URL_FLV=http://127.0.0.1:$HTTP/live/s.flv
    URL_WEBRTC="http://127.0.0.1:$API/rtc/v1/whep/?app=live&stream=s" ;;
  tsrs-edge)
    cat > "$WORK/origin.conf" <<CONF
listen $ORIGIN_RTMP;
max_connections 100;
daemon off;
srs_log_tank console;
pid ./origin.pid;
database ./origin.db;
http_api { enabled on; listen $ORIGIN_API; }
vhost __defaultVhost__ { }
CONF
    cat > "$WORK/edge.conf" <<CONF
listen $RTMP;
max_connections 20000;
daemon off;
srs_log_tank console;
http_api { enabled on; listen $API; }
http_server { enabled on; listen $HTTP; dir ./html; }
vhost __defaultVhost__ {
  cluster { mode remote; origin 127.0.0.1:$ORIGIN_RTMP; }
  http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
}
CONF
    (cd "$WORK" && exec taskset -c 1 node "$TSRS_CLI" -c origin.conf > "$WORK/origin.log" 2>&1) &
    ORIGIN=$!
    (cd "$WORK" && exec taskset -c 0 node ${NODE_FLAGS:-} "$TSRS_CLI" -c edge.conf > "$WORK/server.log" 2>&1) &
    SRV=$!
    for _ in $(seq 60); do grep -q 'started' "$WORK/origin.log" 2>/dev/null && break; sleep 0.5; done
    URL_PUB=rtmp://127.0.0.1:$ORIGIN_RTMP/live/s PUB_LOG=$WORK/origin.log
    URL_RTMP=rtmp://127.0.0.1:$RTMP/live/s URL_FLV=http://127.0.0.1:$HTTP/live/s.flv ;;
  nms)
    echo '{"bind":"127.0.0.1","rtmp":{"port":'$RTMP'},"http":{"port":'$HTTP'},"webadmin":{"enable":false},"store":{"path":"'$WORK'/nms-data"},"record":{"auto":false,"path":"'$WORK'/nms-rec"}}' > "$WORK/nms.json"
    (cd "$WORK" && exec taskset -c 0 node ${NODE_FLAGS:-} "$ROOT/node_modules/node-media-server/bin/app.js" -c "$WORK/nms.json" --rtmp-port $RTMP \
      --http-port $HTTP --data-path "$WORK/nms-data" --record-path "$WORK/nms-rec" --no-admin > "$WORK/server.log" 2>&1) &
    SRV=$!
    URL_RTMP=rtmp://127.0.0.1:$RTMP/live/s URL_FLV=http://127.0.0.1:$HTTP/live/s.flv ;;
  floor)
    (exec taskset -c 0 node "$HERE/dist/src/cli.js" floor -i "$MEDIA" --port $HTTP --merge-ms "${MERGE_MS:-200}" > "$WORK/server.log" 2>&1) &
    SRV=$!
    URL_FLV=http://127.0.0.1:$HTTP/live/s.flv ;;
  *) echo "unknown server $SERVER" >&2; exit 2 ;;
esac
for _ in $(seq 60); do grep -q 'started\|listening' "$WORK/server.log" 2>/dev/null && break; sleep 0.5; done
sleep 2
if [ "$SERVER" != floor ]; then
  (exec taskset -c 1 $CLI publish -u "${URL_PUB:-$URL_RTMP}" -i "$MEDIA" --quiet) &
  PUB=$!
  for _ in $(seq 60); do grep -q 'rtmp publish' "${PUB_LOG:-$WORK/server.log}" 2>/dev/null && break; sleep 0.5; done
  sleep 2
fi
BASE_KIB=$(awk '/VmRSS/ {print $2}' /proc/$SRV/status)
for P in ${PROTO//,/ }; do
for N in "$@"; do
  case $P in
    rtmp) URL=${URL_RTMP:?} R_RAMP=$RAMP WARMUP=3 ;;
    flv) URL=${URL_FLV:?} R_RAMP=$RAMP WARMUP=3 ;;
    webrtc) URL=${URL_WEBRTC:?webrtc: tsrs only} R_RAMP=$RTC_RAMP WARMUP=$RTC_WARMUP ;;
    *) echo "unknown proto $P" >&2; exit 2 ;;
  esac
  # exit status 1 (no player held) still prints the JSON line
  METRICS=; [ "$P" = webrtc ] && METRICS="--metrics http://127.0.0.1:$API/metrics"
  R=$(taskset -c 1 node ${CLIENT_NODE_FLAGS:-} "$HERE/dist/src/cli.js" play --proto "$P" -u "$URL" -n "$N" -d "$DUR" --ramp "$R_RAMP" --warmup "$WARMUP" --pid "$SRV" $METRICS --json) || true
  LINE=$(node -e 'const r=JSON.parse(process.argv[1]);const [s,p,b,base]=process.argv.slice(2);
    const kibPerPlayer=r.server_rss_mb!==undefined?Math.round((r.server_rss_mb*1024-Number(base))/Math.max(1,r.connected)):null;
    const gbps=r.kbps*r.connected/1e6;
    console.log(JSON.stringify({server:s,proto:p,bitrate:b,...r,server_base_rss_mb:Math.round(base/1024),rss_kib_per_player:kibPerPlayer,
      delivered_gbps:Math.round(gbps*1000)/1000,cpu_pct_per_gbps:gbps>0?Math.round(r.server_cpu_pct/gbps):null,
      players_per_core:r.server_cpu_pct>0?Math.round(r.connected/(r.server_cpu_pct/100)):null,date:new Date().toISOString(),cpu_model:require("os").cpus()[0].model,loadavg:require("os").loadavg().map((x)=>Math.round(x*100)/100)}))' "$R" "$LABEL" "$P" "$RATE" "$BASE_KIB")
  echo "$LINE" | tee -a "$OUT"
  sleep 2
done
done
