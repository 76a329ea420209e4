// The ring benchmark's workload on Xen's io/ring.h (bench/ring/ring_bench.ts
// is the same workload on Morgana's ring): a blkif frontend and backend in one
// thread on a one-page ring, each side acting only when notified, as an
// event-driven driver does. In turn: the frontend pushes batches while the
// ring and its window have room; the backend answers one batch; the frontend
// takes every response. A backend with work left stays awake, so the
// frontend's next pushes need no notification: req_event/rsp_event at work.
//
// Built twice with the same flags: -DXEN_BARRIERS takes xen_mb/xen_rmb/xen_wmb
// from <xenctrl.h> (x86_64: a locked add, and compiler barriers); without it
// every barrier is a compiler barrier only, as V8's empty barrier imports are.
//
// Usage: ring_bench BATCH WINDOW TOTAL  -> one JSON line: ns (wall), cpuNs, checksum, notifications.
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef XEN_BARRIERS
#include <xenctrl.h>
#else
#define xen_mb() __asm__ __volatile__("" ::: "memory")
#define xen_rmb() __asm__ __volatile__("" ::: "memory")
#define xen_wmb() __asm__ __volatile__("" ::: "memory")
#endif
#include <xen/io/blkif.h>

#define FNV_PRIME 0x100000001b3ull

static uint64_t mix(uint64_t h, uint64_t x) { return (h ^ x) * FNV_PRIME; }

static void fail(const char *why) {
  fprintf(stderr, "ring_bench: %s\n", why);
  exit(1);
}

static blkif_front_ring_t front;
static blkif_back_ring_t back;
static uint64_t notifications;

// `total` requests, `batch` pushed and answered at a time, at most `window` outstanding.
static uint64_t run(uint32_t batch, uint32_t window, uint32_t total) {
  blkif_sring_t *s = aligned_alloc(4096, 4096);
  XEN_FRONT_RING_INIT(&front, s, 4096);
  BACK_RING_INIT(&back, s, 4096);
  uint64_t h = 0xcbf29ce484222325ull;
  uint32_t issued = 0, completed = 0;
  int backAwake = 0, frontAwake = 0, notify, more;
  notifications = 0;
  while (completed < total) {
    int issuing = 0;
    while (issued < total && issued - completed + batch <= window && RING_FREE_REQUESTS(&front) >= batch) {
      issuing = 1;
      for (uint32_t i = 0; i < batch; i++, issued++) {
        blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
        front.req_prod_pvt++;
        req->operation = BLKIF_OP_READ;
        req->nr_segments = 1;
        req->handle = 0;
        req->id = issued;
        req->sector_number = (uint64_t)issued * 8;
        req->seg[0].gref = 8 + (issued & 1023);
        req->seg[0].first_sect = 0;
        req->seg[0].last_sect = 7;
      }
      RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
      if (notify) notifications++, backAwake = 1;
    }
    if (backAwake) {
      RING_IDX rp = back.sring->req_prod;
      xen_rmb();
      if (RING_REQUEST_PROD_OVERFLOW(&back, rp)) fail("frontend overflowed req_prod");
      for (uint32_t taken = 0; back.req_cons != rp && taken < batch; taken++) {
        blkif_request_t req;
        RING_COPY_REQUEST(&back, back.req_cons, &req); // gcc 12 -O2: loads of the four fields used, no copy
        back.req_cons++;
        h = mix(mix(mix(h, req.id), req.sector_number), req.seg[0].gref);
        blkif_response_t *rsp = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
        back.rsp_prod_pvt++;
        rsp->id = req.id;
        rsp->operation = req.operation;
        rsp->status = BLKIF_RSP_OKAY;
      }
      RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
      if (notify) notifications++, frontAwake = 1;
      RING_FINAL_CHECK_FOR_REQUESTS(&back, more);
      backAwake = more != 0;
    }
    if (frontAwake) {
      RING_IDX rp = front.sring->rsp_prod;
      xen_rmb();
      if (rp - front.rsp_cons > front.req_prod_pvt - front.rsp_cons) fail("backend answered more than asked");
      while (front.rsp_cons != rp) {
        blkif_response_t rsp;
        RING_COPY_RESPONSE(&front, front.rsp_cons, &rsp);
        front.rsp_cons++;
        h = mix(mix(h, rsp.id), (uint64_t)(int64_t)rsp.status);
        completed++;
      }
      RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
      frontAwake = more != 0;
    }
    if (completed < total && !issuing && !backAwake && !frontAwake) fail("stalled: a notification was lost");
  }
  free(s);
  return h;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: ring_bench BATCH WINDOW TOTAL\n");
    return 2;
  }
  uint32_t batch = strtoul(argv[1], NULL, 0), window = strtoul(argv[2], NULL, 0), total = strtoul(argv[3], NULL, 0);
  if (batch == 0 || batch > window || total % batch) fail("BATCH must be in [1, WINDOW] and divide TOTAL");
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  uint64_t h = run(batch, window, total);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  long long cpu = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
  printf("{\"ns\":%lld,\"cpuNs\":%lld,\"checksum\":\"%016llx\",\"notifications\":%llu}\n", ns, cpu, (unsigned long long)h,
         (unsigned long long)notifications);
  return 0;
}
