// The C side of test/ring.test.ts: runs an operation sequence on Xen's
// io/ring.h macros, exactly as test/ring/ring_module.ts runs it on Morgana's
// ring, and dumps the state and the ring's bytes after every step.
//
// Usage: ring_diff TYPE ORDER START < ops     (TYPE: blkif | netif_tx | netif_rx)
// stdin: one "op n" per line. stdout (native u32s): a layout record of
// LAYOUT_WORDS, then per step (step 0 is the initialised ring) STATE_WORDS
// followed by the ring's 4096 << ORDER bytes.
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Single-threaded: compiler barriers keep the macros' ordering, nothing more is needed.
#define xen_mb() __asm__ __volatile__("" ::: "memory")
#define xen_rmb() __asm__ __volatile__("" ::: "memory")
#define xen_wmb() __asm__ __volatile__("" ::: "memory")

#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>

enum { LAYOUT_WORDS = 13, STATE_WORDS = 9 };
#define RING_BROKEN 0xffffffffu

// The test data both sides write: byte k of message idx.
static uint8_t pattern(uint32_t idx, uint32_t k, uint32_t kind) {
  return (uint8_t)(idx * 7u + k * 13u + kind);
}

// FNV-1a over what a consumer copied out of a slot.
static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static void put(const void *p, size_t n) {
  if (fwrite(p, 1, n, stdout) != n) {
    perror("ring_diff: write");
    exit(1);
  }
}

#define RUN(tag)                                                                              \
  static int run_##tag(size_t size, RING_IDX start) {                                         \
    tag##_sring_t *s = aligned_alloc(4096, size);                                             \
    tag##_front_ring_t f;                                                                     \
    tag##_back_ring_t b;                                                                      \
    memset(s, 0xa5, size);                                                                    \
    SHARED_RING_INIT(s);                                                                      \
    s->req_prod = s->rsp_prod = start;                                                        \
    s->req_event = s->rsp_event = start + 1;                                                  \
    FRONT_RING_ATTACH(&f, s, start, size);                                                    \
    BACK_RING_ATTACH(&b, s, start, size);                                                     \
    uint32_t layout[LAYOUT_WORDS] = {                                                         \
        offsetof(tag##_sring_t, req_prod), offsetof(tag##_sring_t, req_event),                \
        offsetof(tag##_sring_t, rsp_prod), offsetof(tag##_sring_t, rsp_event),                \
        offsetof(tag##_sring_t, pvt), sizeof(s->pvt), offsetof(tag##_sring_t, __pad),         \
        sizeof(s->__pad), offsetof(tag##_sring_t, ring), sizeof(s->ring[0]),                  \
        sizeof(s->ring[0].req), sizeof(s->ring[0].rsp), RING_SIZE(&f)};                       \
    put(layout, sizeof(layout));                                                              \
    char name[32];                                                                            \
    unsigned n = 0;                                                                           \
    uint32_t result = 0;                                                                      \
    for (;;) {                                                                                \
      uint32_t state[STATE_WORDS] = {                                                         \
          result, f.req_prod_pvt, f.rsp_cons, b.rsp_prod_pvt, b.req_cons,                     \
          RING_FREE_REQUESTS(&f), RING_FULL(&f), XEN_RING_NR_UNCONSUMED_RESPONSES(&f),        \
          XEN_RING_NR_UNCONSUMED_REQUESTS(&b)};                                               \
      put(state, sizeof(state));                                                              \
      put(s, size);                                                                           \
      if (scanf("%31s %u", name, &n) != 2) break;                                             \
      result = 0;                                                                             \
      if (!strcmp(name, "produce")) {                                                         \
        for (unsigned i = 0; i < n; i++, f.req_prod_pvt++) {                                  \
          uint8_t *req = (uint8_t *)RING_GET_REQUEST(&f, f.req_prod_pvt);                     \
          for (uint32_t k = 0; k < sizeof(s->ring[0].req); k++)                               \
            req[k] = pattern(f.req_prod_pvt, k, 0x11);                                        \
        }                                                                                     \
      } else if (!strcmp(name, "pushRequests")) {                                             \
        RING_PUSH_REQUESTS(&f);                                                               \
      } else if (!strcmp(name, "pushRequestsAndCheckNotify")) {                               \
        int notify;                                                                           \
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);                                      \
        result = notify;                                                                      \
      } else if (!strcmp(name, "checkRequests")) {                                            \
        RING_IDX rp = s->req_prod;                                                            \
        xen_rmb();                                                                            \
        result = RING_REQUEST_PROD_OVERFLOW(&b, rp) ||                                        \
                         rp - b.rsp_prod_pvt < b.req_cons - b.rsp_prod_pvt                    \
                     ? RING_BROKEN                                                            \
                     : rp - b.req_cons;                                                       \
      } else if (!strcmp(name, "consumeRequests")) {                                          \
        result = 2166136261u;                                                                 \
        for (unsigned i = 0; i < n; i++, b.req_cons++) {                                      \
          __typeof__(s->ring[0].req) req;                                                     \
          RING_COPY_REQUEST(&b, b.req_cons, &req);                                            \
          result = fnv(result, (const uint8_t *)&req, sizeof(req));                           \
        }                                                                                     \
      } else if (!strcmp(name, "produceResponses")) {                                         \
        for (unsigned i = 0; i < n; i++, b.rsp_prod_pvt++) {                                  \
          uint8_t *rsp = (uint8_t *)RING_GET_RESPONSE(&b, b.rsp_prod_pvt);                    \
          for (uint32_t k = 0; k < sizeof(s->ring[0].rsp); k++)                               \
            rsp[k] = pattern(b.rsp_prod_pvt, k, 0x5a);                                        \
        }                                                                                     \
      } else if (!strcmp(name, "pushResponses")) {                                            \
        RING_PUSH_RESPONSES(&b);                                                              \
      } else if (!strcmp(name, "pushResponsesAndCheckNotify")) {                              \
        int notify;                                                                           \
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);                                     \
        result = notify;                                                                      \
      } else if (!strcmp(name, "finalCheckForRequests")) {                                    \
        int work;                                                                             \
        RING_FINAL_CHECK_FOR_REQUESTS(&b, work);                                              \
        result = work != 0;                                                                   \
      } else if (!strcmp(name, "checkResponses")) {                                           \
        RING_IDX rp = s->rsp_prod;                                                            \
        xen_rmb();                                                                            \
        result = rp - f.rsp_cons > f.req_prod_pvt - f.rsp_cons ? RING_BROKEN : rp - f.rsp_cons; \
      } else if (!strcmp(name, "consumeResponses")) {                                         \
        result = 2166136261u;                                                                 \
        for (unsigned i = 0; i < n; i++, f.rsp_cons++) {                                      \
          __typeof__(s->ring[0].rsp) rsp;                                                     \
          RING_COPY_RESPONSE(&f, f.rsp_cons, &rsp);                                           \
          result = fnv(result, (const uint8_t *)&rsp, sizeof(rsp));                           \
        }                                                                                     \
      } else if (!strcmp(name, "finalCheckForResponses")) {                                   \
        int work;                                                                             \
        RING_FINAL_CHECK_FOR_RESPONSES(&f, work);                                             \
        result = work != 0;                                                                   \
      } else if (!strcmp(name, "overflowPredicates")) {                                       \
        result = RING_REQUEST_CONS_OVERFLOW(&b, n) | RING_REQUEST_PROD_OVERFLOW(&b, n) << 1 |   \
                 RING_RESPONSE_PROD_OVERFLOW(&f, n) << 2;                                       \
      } else {                                                                                \
        fprintf(stderr, "ring_diff: unknown operation %s\n", name);                           \
        return 1;                                                                             \
      }                                                                                       \
    }                                                                                         \
    free(s);                                                                                  \
    return 0;                                                                                 \
  }

RUN(blkif)
RUN(netif_tx)
RUN(netif_rx)

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: ring_diff blkif|netif_tx|netif_rx ORDER START\n");
    return 2;
  }
  size_t size = (size_t)1 << (atoi(argv[2]) + XEN_PAGE_SHIFT);
  RING_IDX start = (RING_IDX)strtoul(argv[3], NULL, 0);
  if (!strcmp(argv[1], "blkif")) return run_blkif(size, start);
  if (!strcmp(argv[1], "netif_tx")) return run_netif_tx(size, start);
  if (!strcmp(argv[1], "netif_rx")) return run_netif_rx(size, start);
  fprintf(stderr, "ring_diff: unknown ring type %s\n", argv[1]);
  return 2;
}
