/*
 * rtp_recv: the bench's WebRTC players' datagram reads in native code. One epoll set holds the
 * ICE sockets of every player of the process once its DTLS is up; `drain` reads whatever the
 * kernel holds (recvmmsg(2), a batch per socket) and counts the SRTP media from its RTP header,
 * which SRTP leaves in the clear (RFC 3711 3.1). Only what JavaScript must see goes back to it:
 * STUN, DTLS and SRTCP for werift (ICE consent, RFC 7675; the server's reports), a player's first
 * video packet, and the first packets of video access units that may carry the delay probe.
 *
 * Why: at 500 players the process took ~50,000 datagrams a second, each a libuv read, a Buffer
 * and a 'message' event through dgram and werift; its one core saturated, the event loop fell
 * seconds behind and werift's ICE consent checks (0.5 s to answer) failed. The load generator,
 * not the server, set the limit.
 *
 * Counting follows the bench's JavaScript player (webrtc-player.ts, RtpCount): per kind (video
 * and audio, by payload type) the newest sequence number, wraps, packets received, gaps (lost)
 * and late packets; a video access unit ends at a marker bit (RFC 6184 5.1).
 *
 * Exports:
 *   watch(fd, videoPt, audioPt, tagLength) -> slot    takes a bound IPv4 UDP socket (dup'ed:
 *       the caller's descriptor stays its own; stop its libuv reads first); tagLength is the SRTP
 *       tag's (10 or 16). RangeError when all SLOTS are taken; Error when fd is no socket.
 *   unwatch(slot)                                     stops and closes the dup; unknown: ignored
 *   drain(out: Buffer, meta: Float64Array, stats: Float64Array) -> n * 2 + more
 *       reads every ready socket; for each datagram handed back, META_FIELDS doubles in meta:
 *       slot, offset into out, length, kind (KIND_OTHER: STUN/DTLS/RTCP; KIND_FIRST: the first
 *       video packet; KIND_PROBE: an access unit's first packet to check for the probe), source
 *       IPv4 address (host order), source port, the time read (ms, CLOCK_MONOTONIC: process.hrtime's clock), the video
 *       rollover counter (RFC 3711 3.3.1: wraps seen). `more` is 1 when out or meta filled before
 *       every socket was read (call again). Each touched slot's STAT_FIELDS doubles in stats are
 *       rewritten (layout: STAT_* below; the caller zeroes a slot's row when it watches it).
 *   SLOTS, META_FIELDS, STAT_FIELDS, KIND_OTHER, KIND_FIRST, KIND_PROBE, PROBE_SCAN, AUTH_SAMPLE
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 8192
#define BATCH 32
#define BATCH_ROUNDS 8
#define MAX_DATAGRAM 2048
#define EVENTS 256
#define META_FIELDS 8
#define KIND_OTHER 0
#define KIND_FIRST 1
#define KIND_PROBE 2
/* an access unit's first packet whose payload is at most this many bytes may hold the probe (SPS, PPS and the SEI fit) */
#define PROBE_SCAN 256
/* one in this many other access unit starts goes to JavaScript too, to authenticate */
#define AUTH_SAMPLE 16
#define H264_CLOCK_KHZ 90.0

/* stats row, doubles */
enum {
  STAT_BYTES,
  STAT_PACKETS,
  STAT_FRAMES,
  STAT_AUDIO,
  STAT_LOST,
  STAT_LAST_VIDEO_TS,
  STAT_VIDEO_SSRC,
  STAT_VIDEO_HIGHEST, /* extended highest sequence number, -1 before the first */
  STAT_VIDEO_REPORT_LOST, /* RFC 3550 6.4.1: expected - received, clamped */
  STAT_AUDIO_SSRC,
  STAT_AUDIO_HIGHEST,
  STAT_AUDIO_REPORT_LOST,
  STAT_LATE,
  STAT_FIELDS
};

typedef struct {
  uint32_t ssrc;
  int32_t seq; /* newest, -1 before the first */
  int64_t cycles; /* wraps * 65536 */
  int32_t base_seq;
  int64_t received;
  int64_t lost;
  int64_t late;
} rtp_count;

typedef struct {
  int fd; /* our dup, -1 when free */
  int video_pt, audio_pt;
  uint32_t tag_length;
  rtp_count video, audio;
  int au_start;
  int seen_video;
  uint32_t long_starts;
  double bytes, packets, frames, audio_packets, last_video_ts;
  int touched;
} slot_t;

typedef struct {
  int epfd;
  slot_t slots[SLOTS];
  uint32_t touched[SLOTS];
  uint32_t n_touched;
  uint8_t scratch[BATCH][MAX_DATAGRAM];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
} instance;

static void instance_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance *in = data;
  for (uint32_t i = 0; i < SLOTS; i++)
    if (in->slots[i].fd >= 0) close(in->slots[i].fd);
  if (in->epfd >= 0) close(in->epfd);
  free(in);
}

static instance *get_instance(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static int get_f64_array(napi_env env, napi_value v, double **data, size_t *length) {
  bool is = false;
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, length, &p, NULL, NULL) != napi_ok || type != napi_float64_array) return 0;
  *data = p;
  return 1;
}

/* Counts a packet of one kind; 1 when it is the newest so far (not late or a duplicate). */
static int count_push(rtp_count *c, uint32_t ssrc, int32_t seq) {
  c->received++;
  c->ssrc = ssrc;
  if (c->seq < 0) {
    c->seq = seq;
    c->base_seq = seq;
    return 1;
  }
  int32_t ahead = (seq - c->seq) & 0xffff;
  if (ahead == 0 || ahead >= 0x8000) {
    c->late++;
    return 0;
  }
  c->lost += ahead - 1;
  if (seq < c->seq) c->cycles += 0x10000;
  c->seq = seq;
  return 1;
}

static void count_report(const rtp_count *c, double *ssrc, double *highest, double *lost) {
  if (c->seq < 0) {
    *ssrc = 0;
    *highest = -1;
    *lost = 0;
    return;
  }
  int64_t expected = c->cycles + c->seq - c->base_seq + 1;
  int64_t l = expected - c->received;
  if (l < 0) l = 0;
  if (l > 0x7fffff) l = 0x7fffff;
  *ssrc = c->ssrc;
  *highest = (double)(uint32_t)(c->cycles + c->seq);
  *lost = (double)l;
}

static void publish(const slot_t *s, double *row) {
  row[STAT_BYTES] = s->bytes;
  row[STAT_PACKETS] = s->packets;
  row[STAT_FRAMES] = s->frames;
  row[STAT_AUDIO] = s->audio_packets;
  row[STAT_LOST] = (double)(s->video.lost + s->audio.lost);
  row[STAT_LAST_VIDEO_TS] = s->last_video_ts;
  count_report(&s->video, &row[STAT_VIDEO_SSRC], &row[STAT_VIDEO_HIGHEST], &row[STAT_VIDEO_REPORT_LOST]);
  count_report(&s->audio, &row[STAT_AUDIO_SSRC], &row[STAT_AUDIO_HIGHEST], &row[STAT_AUDIO_REPORT_LOST]);
  row[STAT_LATE] = (double)(s->video.late + s->audio.late);
}

/* Where an RTP packet's payload starts (RFC 3550 5.1, 5.3.1), at most len. */
static uint32_t payload_offset(const uint8_t *p, uint32_t len) {
  uint32_t off = 12 + (p[0] & 0x0f) * 4;
  if ((p[0] & 0x10) && len >= off + 4) off += 4 + (((uint32_t)p[off + 2] << 8) | p[off + 3]) * 4;
  return off < len ? off : len;
}

/*
 * Counts one datagram; returns the kind to hand to JavaScript, or -1 for none.
 * RTP, not RTCP: version 2 and a second byte outside 192-223 (RFC 5761 4).
 */
static int classify(slot_t *s, const uint8_t *p, uint32_t len) {
  if (len < 12 || (p[0] >> 6) != 2 || (p[1] >= 192 && p[1] <= 223)) return KIND_OTHER;
  int pt = p[1] & 0x7f;
  int32_t seq = (p[2] << 8) | p[3];
  uint32_t ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
  s->bytes += len;
  s->packets++;
  if (pt == s->audio_pt) {
    s->audio_packets++;
    count_push(&s->audio, ssrc, seq);
    return -1;
  }
  if (pt != s->video_pt) return -1;
  int first = !s->seen_video;
  s->seen_video = 1;
  int au_start = s->au_start;
  /* a retransmission or duplicate of an older packet is counted in bytes only */
  if (!count_push(&s->video, ssrc, seq)) return first ? KIND_FIRST : -1;
  int marker = (p[1] & 0x80) != 0;
  s->au_start = marker;
  if (marker) {
    s->frames++;
    uint32_t ts = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    s->last_video_ts = ts / H264_CLOCK_KHZ;
  }
  if (!au_start) return first ? KIND_FIRST : -1;
  uint32_t off = payload_offset(p, len);
  int64_t payload = (int64_t)len - s->tag_length - off;
  if (payload <= PROBE_SCAN || s->long_starts++ % AUTH_SAMPLE == 0) return KIND_PROBE;
  return first ? KIND_FIRST : -1;
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t fd, video_pt, audio_pt, tag_length;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || !get_u32(env, argv[0], &fd) || !get_u32(env, argv[1], &video_pt) || !get_u32(env, argv[2], &audio_pt) || !get_u32(env, argv[3], &tag_length))
    return throw_type(env, "watch(fd, videoPt, audioPt, tagLength): four numbers");
  instance *in = get_instance(env);
  if (in->epfd < 0) {
    in->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (in->epfd < 0) {
      napi_throw_error(env, NULL, "watch: epoll_create1 failed");
      return NULL;
    }
  }
  uint32_t id = SLOTS;
  for (uint32_t i = 0; i < SLOTS; i++)
    if (in->slots[i].fd < 0) {
      id = i;
      break;
    }
  if (id == SLOTS) {
    napi_throw_range_error(env, NULL, "watch: every slot is taken");
    return NULL;
  }
  struct sockaddr_in addr;
  socklen_t alen = sizeof(addr);
  int type = 0;
  socklen_t tlen = sizeof(type);
  if (getsockname((int)fd, (struct sockaddr *)&addr, &alen) != 0 || addr.sin_family != AF_INET || getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_DGRAM) {
    napi_throw_error(env, "ERR_RTP_RECV_SOCKET", "watch: not a bound IPv4 datagram socket");
    return NULL;
  }
  int dup_fd = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    napi_throw_error(env, "ERR_RTP_RECV_SOCKET", "watch: dup failed");
    return NULL;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data = {.u32 = id}};
  if (epoll_ctl(in->epfd, EPOLL_CTL_ADD, dup_fd, &ev) != 0) {
    close(dup_fd);
    napi_throw_error(env, "ERR_RTP_RECV_SOCKET", "watch: epoll_ctl failed");
    return NULL;
  }
  slot_t *s = &in->slots[id];
  memset(s, 0, sizeof(*s));
  s->fd = dup_fd;
  s->video_pt = (int)video_pt;
  s->audio_pt = (int)audio_pt;
  s->tag_length = tag_length;
  s->video.seq = -1;
  s->video.base_seq = -1;
  s->audio.seq = -1;
  s->audio.base_seq = -1;
  s->au_start = 1;
  napi_value result;
  napi_create_uint32(env, id, &result);
  return result;
}

static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_u32(env, argv[0], &id)) return throw_type(env, "unwatch(slot): a number");
  instance *in = get_instance(env);
  if (id >= SLOTS || in->slots[id].fd < 0) return NULL;
  slot_t *s = &in->slots[id];
  /* the socket may still be open under the caller's descriptor: take ours out of the set first */
  epoll_ctl(in->epfd, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  s->fd = -1;
  return NULL;
}

static double monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static napi_value js_drain(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *out = NULL;
  size_t out_length = 0;
  double *meta = NULL, *stats = NULL;
  size_t meta_length = 0, stats_length = 0;
  bool is = false;
  if (argc < 3 || napi_is_buffer(env, argv[0], &is) != napi_ok || !is || napi_get_buffer_info(env, argv[0], (void **)&out, &out_length) != napi_ok ||
      !get_f64_array(env, argv[1], &meta, &meta_length) || !get_f64_array(env, argv[2], &stats, &stats_length))
    return throw_type(env, "drain(out: Buffer, meta: Float64Array, stats: Float64Array)");
  if (stats_length < (size_t)SLOTS * STAT_FIELDS) {
    napi_throw_range_error(env, NULL, "drain: stats holds fewer than SLOTS * STAT_FIELDS doubles");
    return NULL;
  }
  instance *in = get_instance(env);
  uint32_t n = 0, more = 0;
  size_t used = 0;
  size_t meta_max = meta_length / META_FIELDS;
  in->n_touched = 0;
  struct epoll_event events[EVENTS];
  int ready = in->epfd < 0 ? 0 : epoll_wait(in->epfd, events, EVENTS, 0);
  if (ready == EVENTS) more = 1;
  for (int e = 0; e < ready; e++) {
    uint32_t id = events[e].data.u32;
    slot_t *s = &in->slots[id];
    if (s->fd < 0) continue;
    for (int round = 0;; round++) {
      /* a socket that keeps filling gets BATCH_ROUNDS batches a call: the others' turn, then `more` */
      if (round == BATCH_ROUNDS) {
        more = 1;
        break;
      }
      /* room for a whole batch handed back, else stop here: the kernel keeps the rest */
      if (out_length - used < (size_t)BATCH * MAX_DATAGRAM || meta_max - n < BATCH) {
        more = 1;
        break;
      }
      for (int i = 0; i < BATCH; i++) {
        in->iov[i].iov_base = in->scratch[i];
        in->iov[i].iov_len = MAX_DATAGRAM;
        memset(&in->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
        in->msgs[i].msg_hdr.msg_iov = &in->iov[i];
        in->msgs[i].msg_hdr.msg_iovlen = 1;
        in->msgs[i].msg_hdr.msg_name = &in->from[i];
        in->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
      }
      int got = recvmmsg(s->fd, in->msgs, BATCH, MSG_DONTWAIT, NULL);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break; /* EAGAIN: read it all; another error: the socket's, JavaScript sees the close */
      double now = monotonic_ms();
      if (!s->touched) {
        s->touched = 1;
        in->touched[in->n_touched++] = id;
      }
      for (int i = 0; i < got; i++) {
        uint32_t len = in->msgs[i].msg_len;
        if (in->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue; /* past MAX_DATAGRAM: nothing the server sends */
        int kind = classify(s, in->scratch[i], len);
        if (kind < 0) continue;
        memcpy(out + used, in->scratch[i], len);
        double *m = meta + (size_t)n * META_FIELDS;
        m[0] = id;
        m[1] = (double)used;
        m[2] = len;
        m[3] = kind;
        m[4] = ntohl(in->from[i].sin_addr.s_addr);
        m[5] = ntohs(in->from[i].sin_port);
        m[6] = now;
        m[7] = (double)(s->video.cycles / 0x10000);
        used += len;
        n++;
      }
      if (got < BATCH) break;
    }
  }
  for (uint32_t i = 0; i < in->n_touched; i++) {
    slot_t *s = &in->slots[in->touched[i]];
    s->touched = 0;
    publish(s, stats + (size_t)in->touched[i] * STAT_FIELDS);
  }
  napi_value result;
  napi_create_uint32(env, n * 2 + more, &result);
  return result;
}

static void set_u32(napi_env env, napi_value exports, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, exports, name, v);
}

static napi_value init(napi_env env, napi_value exports) {
  instance *in = calloc(1, sizeof(instance));
  if (!in) return NULL;
  in->epfd = -1;
  for (uint32_t i = 0; i < SLOTS; i++) in->slots[i].fd = -1;
  if (napi_set_instance_data(env, in, instance_free, NULL) != napi_ok) {
    free(in);
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, js_drain, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  set_u32(env, exports, "SLOTS", SLOTS);
  set_u32(env, exports, "META_FIELDS", META_FIELDS);
  set_u32(env, exports, "STAT_FIELDS", STAT_FIELDS);
  set_u32(env, exports, "KIND_OTHER", KIND_OTHER);
  set_u32(env, exports, "KIND_FIRST", KIND_FIRST);
  set_u32(env, exports, "KIND_PROBE", KIND_PROBE);
  set_u32(env, exports, "PROBE_SCAN", PROBE_SCAN);
  set_u32(env, exports, "AUTH_SAMPLE", AUTH_SAMPLE);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
