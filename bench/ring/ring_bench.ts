// The ring benchmark's workload on Morgana's ring: bench/ring/ring_bench.c's
// run(), step for step, on runtime/ring/ (see that file for the workload).
// Each batch keeps the ring's geometry and private index in locals, as gcc
// keeps the C's in registers; consumers read each field they use once from
// the slot, which is what gcc 12 -O2 makes of RING_COPY_REQUEST/RESPONSE
// there (the volatile read of the whole slot becomes loads of the fields used).
import { boot, finish } from "morgana/runtime/start";
import { FrontRing } from "morgana/runtime/ring/front";
import { ringSlot } from "morgana/runtime/ring/ring";
import { BackRing } from "morgana/runtime/ring/back";
import { ringBytes } from "morgana/runtime/ring/sring";
import {
  BLKIF_OP_READ, BLKIF_RSP_OKAY, blkif_request, blkif_request_segment, blkif_response, blkif_sring,
} from "morgana/runtime/xen/io/blkif";

const RING = memory.data(4096, 4096);
const FNV_PRIME: u64 = 0x100000001b3;

const front = new FrontRing(blkif_sring.LENGTH_ring);
const back = new BackRing(blkif_sring.LENGTH_ring);
let notifications: u64 = 0;
let failure: i32 = 0;

// @ts-ignore: decorator
@inline function mix(h: u64, x: u64): u64 {
  return (h ^ x) * FNV_PRIME;
}

/** Notifications the last run sent, both directions. */
export function lastNotifications(): u64 {
  return notifications;
}

/** Why the last run stopped early: 0, or 1 (peer overflow), 2 (a lost notification). */
export function lastFailure(): i32 {
  return failure;
}

/** `total` requests, `batch` pushed and answered at a time, at most `window` outstanding: the checksum. */
export function run(batch: u32, window: u32, total: u32): u64 {
  front.xenFrontRingInit(RING, ringBytes(0));
  back.backRingInit(RING, ringBytes(0));
  let h: u64 = 0xcbf29ce484222325;
  let issued: u32 = 0;
  let completed: u32 = 0;
  let backAwake = false;
  let frontAwake = false;
  notifications = 0;
  failure = 0;
  while (completed < total) {
    let issuing = false;
    while (issued < total && issued - completed + batch <= window && front.freeRequests() >= batch) {
      issuing = true;
      const base = front.slotBase();
      const mask = front.indexMask();
      const size = front.entrySize;
      let prod = front.reqProdPvt;
      for (let i: u32 = 0; i < batch; i++, issued++) {
        const req = ringSlot(base, mask, size, prod++);
        blkif_request.set_operation(req, <u8>BLKIF_OP_READ);
        blkif_request.set_nr_segments(req, 1);
        blkif_request.set_handle(req, 0);
        blkif_request.set_id(req, issued);
        blkif_request.set_sector_number(req, <u64>issued * 8);
        const seg = blkif_request.seg(req, 0);
        blkif_request_segment.set_gref(seg, 8 + (issued & 1023));
        blkif_request_segment.set_first_sect(seg, 0);
        blkif_request_segment.set_last_sect(seg, 7);
      }
      front.reqProdPvt = prod;
      if (front.pushRequestsAndCheckNotify()) {
        notifications++;
        backAwake = true;
      }
    }
    if (backAwake) {
      const ready = back.checkRequests();
      if (ready < 0) return fail(1);
      const base = back.slotBase();
      const mask = back.indexMask();
      const size = back.entrySize;
      let cons = back.reqCons;
      let prod = back.rspProdPvt;
      const take = <u32>ready < batch ? <u32>ready : batch;
      for (let taken: u32 = 0; taken < take; taken++) {
        // RING_COPY_REQUEST as gcc compiles it: each field used read once, before the response reuses the slot.
        const req = ringSlot(base, mask, size, cons++);
        const id = blkif_request.id(req);
        const operation = blkif_request.operation(req);
        h = mix(mix(mix(h, id), blkif_request.sector_number(req)), blkif_request_segment.gref(blkif_request.seg(req, 0)));
        const rsp = ringSlot(base, mask, size, prod++);
        blkif_response.set_id(rsp, id);
        blkif_response.set_operation(rsp, operation);
        blkif_response.set_status(rsp, <i16>BLKIF_RSP_OKAY);
      }
      back.reqCons = cons;
      back.rspProdPvt = prod;
      if (back.pushResponsesAndCheckNotify()) {
        notifications++;
        frontAwake = true;
      }
      backAwake = back.finalCheckForRequests();
    }
    if (frontAwake) {
      const ready = front.checkResponses();
      if (ready < 0) return fail(1);
      const base = front.slotBase();
      const mask = front.indexMask();
      const size = front.entrySize;
      let cons = front.rspCons;
      for (let i: i32 = 0; i < ready; i++) {
        const rsp = ringSlot(base, mask, size, cons++);
        h = mix(mix(h, blkif_response.id(rsp)), <u64><i64>blkif_response.status(rsp));
        completed++;
      }
      front.rspCons = cons;
      frontAwake = front.finalCheckForResponses();
    }
    if (completed < total && !issuing && !backAwake && !frontAwake) return fail(2);
  }
  return h;
}

/**
 * The unikernel entry, never called here: it links the core's waiting path
 * (env.block) in, so that Asyncify instruments this module as it does a real
 * unikernel, and the "without Asyncify" variant shows what that costs the ring.
 */
export function start(startInfo: usize, memoryBase: u64): void {
  boot(startInfo, memoryBase);
  finish(0);
}

function fail(why: i32): u64 {
  failure = why;
  return 0;
}
