/*
 * rtc_send: the last step of the WebRTC fan-out in native code, SRTP protection (RFC 3711,
 * AES_CM_128_HMAC_SHA1_80; RFC 7714, AEAD_AES_128_GCM) and the datagrams' send, a batch at a time
 * through one sendmmsg(2).
 *
 * Why: every RTP packet of a stream is protected and sent once per WebRTC player. In JavaScript
 * each of those is two SHA-1 digests, an AES call, a dgram send (a request object, then one
 * sendmsg) and the glue between, 14-20 us a packet on the benchmark machine, which capped a core
 * near 400 players. Here the HMAC's inner and outer pads are hashed once per session (RFC 2104:
 * the per-packet cost is the message, not the key), AES-CTR runs in OpenSSL (AES-NI), and one
 * system call hands the kernel up to BATCH_MAX datagrams.
 *
 * OpenSSL is Node's own (its symbols are exported by the node binary; its headers come with
 * Node's). The socket is the dgram socket's descriptor, non-blocking: a full send buffer stops
 * the batch (EAGAIN) and the caller queues the rest through dgram, as before.
 *
 * Exports:
 *   open(key: Buffer(16), salt: Buffer(14), authKey: Buffer(20)) -> id (uint32): a session's keys
 *                                                         (AES_CM_128_HMAC_SHA1_80, 10-byte tag)
 *   openGcm(key: Buffer(16), salt: Buffer(12)) -> id     AEAD_AES_128_GCM keys (16-byte tag)
 *   close(id)                                             frees them; an unknown id is ignored (the id
 *                                                         may be given out again by a later open)
 *   protect(id, buf, offset, headerLength, rtpLength, seq, roc) -> void
 *       protects the RTP packet at buf[offset..offset+rtpLength) in place and writes the tag
 *       after it (10 or 16 bytes, the session's: the caller leaves room for 16)
 *   sendBatch(fd, area: Buffer, desc: Uint32Array, count) -> handled
 *       desc holds DESC_WORDS words per datagram: id (NO_PROTECT: already protected), offset
 *       into area, RTP header length, RTP length (the datagram's length when not protected
 *       here), sequence number, rollover counter, IPv4 address (host order), port. Every
 *       descriptor is checked first (a bad one throws before anything is changed), then each
 *       datagram protected in place, then all sent. Returns how many were handled (sent, or
 *       dropped by a per-datagram error such as an unreachable network): less than count when
 *       the kernel's buffer filled; the rest are protected but not sent. fd NO_SOCKET (2^32-1):
 *       protect only, return 0.
 * Errors: TypeError for wrong arguments; RangeError for a datagram outside `area`, an unknown id,
 * bad lengths, more than BATCH_MAX datagrams; an Error with code ERR_RTC_SEND_SOCKET when `fd` is
 * not an open datagram socket (closed, or not a socket), the batch then protected but not sent.
 */
#define NAPI_VERSION 8
#define OPENSSL_SUPPRESS_DEPRECATED 1
#define _GNU_SOURCE
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TAG_LENGTH 10
#define GCM_TAG_LENGTH 16
#define MAX_TAG_LENGTH 16
#define MAX_PACKET 1500
#define DESC_WORDS 8
#define BATCH_MAX 256
#define NO_PROTECT 0xffffffffu
#define NO_SOCKET 0xffffffffu
/* at most this many sessions' keys at once (tsrs's own bound, rtc_server.max_sessions, is far lower) */
#define MAX_SESSIONS (1u << 20)

typedef struct {
  EVP_CIPHER_CTX *aes; /* AES-128-CTR, or AES-128-GCM when gcm */
  SHA_CTX inner; /* SHA-1 state after (K XOR ipad) (CTR only) */
  SHA_CTX outer; /* after (K XOR opad) */
  uint8_t salt[14]; /* 14 bytes (CTR), 12 (GCM) */
  int gcm;
  int used;
} srtp_session;

static uint32_t tag_length(const srtp_session *s) {
  return s->gcm ? GCM_TAG_LENGTH : TAG_LENGTH;
}

typedef struct {
  srtp_session *sessions;
  uint32_t length;
  uint32_t free_hint;
} instance;

static void instance_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance *in = data;
  for (uint32_t i = 0; i < in->length; i++)
    if (in->sessions[i].used) EVP_CIPHER_CTX_free(in->sessions[i].aes);
  free(in->sessions);
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

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static int get_buffer(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  bool is = false;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, (void **)data, length) == napi_ok;
}

static srtp_session *session_of(instance *in, uint32_t id) {
  if (id >= in->length || !in->sessions[id].used) return NULL;
  return &in->sessions[id];
}

/*
 * RFC 7714 8: the 12-byte IV is (0x0000 || SSRC || ROC || SEQ) XOR the session salt; the RTP header
 * (with its extensions) is the additional authenticated data, the payload is encrypted in place
 * and the 16-byte tag follows it.
 */
static int protect_gcm(srtp_session *s, uint8_t *p, uint32_t header_length, uint32_t rtp_length, uint32_t seq, uint32_t roc) {
  uint8_t iv[12];
  memcpy(iv, s->salt, 12);
  iv[2] ^= p[8];
  iv[3] ^= p[9];
  iv[4] ^= p[10];
  iv[5] ^= p[11];
  iv[6] ^= (uint8_t)(roc >> 24);
  iv[7] ^= (uint8_t)(roc >> 16);
  iv[8] ^= (uint8_t)(roc >> 8);
  iv[9] ^= (uint8_t)roc;
  iv[10] ^= (uint8_t)(seq >> 8);
  iv[11] ^= (uint8_t)seq;
  int out = 0;
  if (EVP_EncryptInit_ex(s->aes, NULL, NULL, NULL, iv) != 1) return 0;
  if (EVP_EncryptUpdate(s->aes, NULL, &out, p, (int)header_length) != 1) return 0;
  if (rtp_length > header_length && EVP_EncryptUpdate(s->aes, p + header_length, &out, p + header_length, (int)(rtp_length - header_length)) != 1) return 0;
  if (EVP_EncryptFinal_ex(s->aes, p + rtp_length, &out) != 1) return 0;
  return EVP_CIPHER_CTX_ctrl(s->aes, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LENGTH, p + rtp_length) == 1;
}

/* RFC 3711 4.1.1 (AES counter mode) and 4.2.1 (HMAC-SHA1, 80-bit tag), in place. */
static int protect_packet(srtp_session *s, uint8_t *p, uint32_t header_length, uint32_t rtp_length, uint32_t seq, uint32_t roc) {
  if (s->gcm) return protect_gcm(s, p, header_length, rtp_length, seq, roc);
  uint8_t iv[16];
  memcpy(iv, s->salt, 14);
  iv[14] = 0;
  iv[15] = 0;
  /* SSRC * 2^64: the header's SSRC (bytes 8-11) over IV bytes 4-7 */
  iv[4] ^= p[8];
  iv[5] ^= p[9];
  iv[6] ^= p[10];
  iv[7] ^= p[11];
  /* index * 2^16, index = ROC * 2^16 + SEQ: bytes 8-13 */
  iv[8] ^= (uint8_t)(roc >> 24);
  iv[9] ^= (uint8_t)(roc >> 16);
  iv[10] ^= (uint8_t)(roc >> 8);
  iv[11] ^= (uint8_t)roc;
  iv[12] ^= (uint8_t)(seq >> 8);
  iv[13] ^= (uint8_t)seq;
  if (rtp_length > header_length) {
    int out = 0;
    if (EVP_EncryptInit_ex(s->aes, NULL, NULL, NULL, iv) != 1) return 0;
    if (EVP_EncryptUpdate(s->aes, p + header_length, &out, p + header_length, (int)(rtp_length - header_length)) != 1) return 0;
  }
  uint8_t r[4] = {(uint8_t)(roc >> 24), (uint8_t)(roc >> 16), (uint8_t)(roc >> 8), (uint8_t)roc};
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA_CTX h = s->inner;
  SHA1_Update(&h, p, rtp_length);
  SHA1_Update(&h, r, 4);
  SHA1_Final(digest, &h);
  h = s->outer;
  SHA1_Update(&h, digest, SHA_DIGEST_LENGTH);
  SHA1_Final(digest, &h);
  memcpy(p + rtp_length, digest, TAG_LENGTH);
  return 1;
}

/* A free session slot (the table grows, up to MAX_SESSIONS); 0 with a RangeError thrown. */
static int new_slot(napi_env env, instance *in, uint32_t *out) {
  uint32_t id = in->length;
  for (uint32_t i = in->free_hint; i < in->length; i++)
    if (!in->sessions[i].used) {
      id = i;
      break;
    }
  if (id == in->length) {
    if (in->length >= MAX_SESSIONS) {
      throw_range(env, "SRTP sessions: too many open");
      return 0;
    }
    uint32_t grown = in->length ? in->length * 2 : 64;
    srtp_session *more = realloc(in->sessions, grown * sizeof(srtp_session));
    if (!more) {
      throw_range(env, "SRTP sessions: out of memory");
      return 0;
    }
    memset(more + in->length, 0, (grown - in->length) * sizeof(srtp_session));
    in->sessions = more;
    in->length = grown;
  }
  *out = id;
  return 1;
}

/*
 * A new session keyed for `cipher` (AES-128-CTR or AES-128-GCM) with `salt`, marked used; NULL
 * with a RangeError thrown when the table is full or OpenSSL lacks the cipher.
 */
static srtp_session *open_session(napi_env env, instance *in, const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *salt, size_t salt_length, int gcm, uint32_t *id) {
  if (!new_slot(env, in, id)) return NULL;
  srtp_session *s = &in->sessions[*id];
  s->aes = EVP_CIPHER_CTX_new();
  if (!s->aes || EVP_EncryptInit_ex(s->aes, cipher, NULL, key, NULL) != 1) {
    if (s->aes) EVP_CIPHER_CTX_free(s->aes);
    s->aes = NULL;
    throw_range(env, gcm ? "SRTP: AES-128-GCM is not available" : "SRTP: AES-128-CTR is not available");
    return NULL;
  }
  memcpy(s->salt, salt, salt_length);
  s->gcm = gcm;
  s->used = 1;
  in->free_hint = *id + 1;
  return s;
}

static napi_value id_value(napi_env env, uint32_t id) {
  napi_value result;
  napi_create_uint32(env, id, &result);
  return result;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *key, *salt, *auth;
  size_t key_length, salt_length, auth_length;
  if (argc < 3 || !get_buffer(env, argv[0], &key, &key_length) || !get_buffer(env, argv[1], &salt, &salt_length) || !get_buffer(env, argv[2], &auth, &auth_length))
    return throw_type(env, "open(key, salt, authKey): three Buffers expected");
  if (key_length != 16 || salt_length != 14 || auth_length != 20) return throw_range(env, "SRTP keys: 16-byte key, 14-byte salt, 20-byte auth key expected");
  uint32_t id;
  srtp_session *s = open_session(env, get_instance(env), EVP_aes_128_ctr(), key, salt, 14, 0, &id);
  if (!s) return NULL;
  uint8_t pad[64];
  memset(pad, 0x36, 64);
  for (int i = 0; i < 20; i++) pad[i] ^= auth[i];
  SHA1_Init(&s->inner);
  SHA1_Update(&s->inner, pad, 64);
  memset(pad, 0x5c, 64);
  for (int i = 0; i < 20; i++) pad[i] ^= auth[i];
  SHA1_Init(&s->outer);
  SHA1_Update(&s->outer, pad, 64);
  OPENSSL_cleanse(pad, sizeof(pad));
  return id_value(env, id);
}

static napi_value js_open_gcm(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *key, *salt;
  size_t key_length, salt_length;
  if (argc < 2 || !get_buffer(env, argv[0], &key, &key_length) || !get_buffer(env, argv[1], &salt, &salt_length))
    return throw_type(env, "openGcm(key, salt): two Buffers expected");
  if (key_length != 16 || salt_length != 12) return throw_range(env, "SRTP AEAD_AES_128_GCM keys: 16-byte key, 12-byte salt expected");
  uint32_t id;
  if (!open_session(env, get_instance(env), EVP_aes_128_gcm(), key, salt, 12, 1, &id)) return NULL;
  return id_value(env, id);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t id;
  if (argc < 1 || !get_u32(env, argv[0], &id)) return throw_type(env, "close(id): a number expected");
  instance *in = get_instance(env);
  srtp_session *s = session_of(in, id);
  if (s) {
    EVP_CIPHER_CTX_free(s->aes);
    OPENSSL_cleanse(s, sizeof(*s));
    if (id < in->free_hint) in->free_hint = id;
  }
  return NULL;
}

static napi_value js_protect(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t id, offset, header_length, rtp_length, seq, roc;
  uint8_t *data;
  size_t length;
  if (argc < 7 || !get_u32(env, argv[0], &id) || !get_buffer(env, argv[1], &data, &length) || !get_u32(env, argv[2], &offset) ||
      !get_u32(env, argv[3], &header_length) || !get_u32(env, argv[4], &rtp_length) || !get_u32(env, argv[5], &seq) || !get_u32(env, argv[6], &roc))
    return throw_type(env, "protect(id, buffer, offset, headerLength, rtpLength, seq, roc) expected");
  srtp_session *s = session_of(get_instance(env), id);
  if (!s) return throw_range(env, "SRTP: unknown session");
  if (rtp_length > MAX_PACKET || header_length < 12 || header_length > rtp_length || (uint64_t)offset + rtp_length + tag_length(s) > length)
    return throw_range(env, "SRTP: packet outside the buffer, shorter than its header or longer than 1500 bytes");
  if (!protect_packet(s, data + offset, header_length, rtp_length, seq & 0xffff, roc)) return throw_range(env, "SRTP: AES failed");
  return NULL;
}

static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t fd, count;
  uint8_t *area;
  size_t area_length;
  napi_typedarray_type type;
  size_t desc_length;
  void *desc_data;
  napi_value ab;
  size_t byte_offset;
  if (argc < 4 || !get_u32(env, argv[0], &fd) || !get_buffer(env, argv[1], &area, &area_length) ||
      napi_get_typedarray_info(env, argv[2], &type, &desc_length, &desc_data, &ab, &byte_offset) != napi_ok || type != napi_uint32_array ||
      !get_u32(env, argv[3], &count))
    return throw_type(env, "sendBatch(fd, area, desc: Uint32Array, count) expected");
  if (count > BATCH_MAX || (size_t)count * DESC_WORDS > desc_length) return throw_range(env, "sendBatch: count exceeds the descriptors or 256");
  const uint32_t *desc = desc_data;
  instance *in = get_instance(env);
  struct mmsghdr msgs[BATCH_MAX];
  struct iovec iov[BATCH_MAX];
  struct sockaddr_in addrs[BATCH_MAX];
  /* check every descriptor before anything is changed */
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *d = desc + i * DESC_WORDS;
    uint32_t id = d[0], offset = d[1], header_length = d[2], rtp_length = d[3];
    const srtp_session *s = id == NO_PROTECT ? NULL : session_of(in, id);
    if (id != NO_PROTECT && !s) return throw_range(env, "sendBatch: unknown SRTP session");
    uint64_t length = s ? (uint64_t)rtp_length + tag_length(s) : rtp_length;
    if (length > MAX_PACKET + MAX_TAG_LENGTH || (uint64_t)offset + length > area_length) return throw_range(env, "sendBatch: datagram outside the area");
    if (s && (rtp_length > MAX_PACKET || header_length < 12 || header_length > rtp_length)) return throw_range(env, "sendBatch: bad RTP lengths");
  }
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *d = desc + i * DESC_WORDS;
    uint32_t id = d[0], offset = d[1];
    srtp_session *s = id == NO_PROTECT ? NULL : session_of(in, id);
    uint32_t length = s ? d[3] + tag_length(s) : d[3];
    if (s && !protect_packet(s, area + offset, d[2], d[3], d[4] & 0xffff, d[5])) return throw_range(env, "SRTP: AES failed");
    memset(&addrs[i], 0, sizeof(addrs[i]));
    addrs[i].sin_family = AF_INET;
    addrs[i].sin_addr.s_addr = htonl(d[6]);
    addrs[i].sin_port = htons((uint16_t)d[7]);
    iov[i].iov_base = area + offset;
    iov[i].iov_len = length;
    memset(&msgs[i], 0, sizeof(msgs[i]));
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  napi_value result;
  if (fd == NO_SOCKET) {
    napi_create_uint32(env, 0, &result);
    return result;
  }
  uint32_t done = 0;
  while (done < count) {
    int n = sendmmsg((int)fd, msgs + done, count - done, MSG_DONTWAIT);
    if (n > 0) {
      done += (uint32_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
    if (n < 0 && (errno == EBADF || errno == ENOTSOCK || errno == EOPNOTSUPP || errno == EDESTADDRREQ || errno == EISCONN)) {
      napi_throw_error(env, "ERR_RTC_SEND_SOCKET", "sendBatch: not an open datagram socket");
      return NULL;
    }
    done++; /* this datagram's own error (unreachable, refused): dropped, as dgram drops it */
  }
  napi_create_uint32(env, done, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  instance *in = calloc(1, sizeof(instance));
  if (!in || napi_set_instance_data(env, in, instance_free, NULL) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"openGcm", NULL, js_open_gcm, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"protect", NULL, js_protect, NULL, NULL, NULL, napi_default, NULL},
      {"sendBatch", NULL, js_send_batch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value v;
  napi_create_uint32(env, DESC_WORDS, &v);
  napi_set_named_property(env, exports, "DESC_WORDS", v);
  napi_create_uint32(env, BATCH_MAX, &v);
  napi_set_named_property(env, exports, "BATCH_MAX", v);
  napi_create_uint32(env, NO_PROTECT, &v);
  napi_set_named_property(env, exports, "NO_PROTECT", v);
  napi_create_uint32(env, NO_SOCKET, &v);
  napi_set_named_property(env, exports, "NO_SOCKET", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
