// The block benchmark's guest (bench/drivers/block.ts runs it): blkfront
// against the simulated blkback, one workload after another, each between a
// "begin NAME" and an "end NAME OPS" line that the host times. A workload keeps
// its queue depth full: it waits for the oldest request and reissues it.
// Every read is checked against the disk's pattern; writes carry a second
// pattern (bench/drivers/block.ts fills the image and checks it afterwards).
// Command line: ops=N (requests per workload), trusted=1 (Blkfront.trusted: reads
// from a backend without persistent grants zero-copy rather than bounced).
import { allocPages, BlockRequest, cmdlineArg, monotonicNs, NS_PER_SEC, println } from "morgana/runtime";
import { Blkfront, connectBlkfront } from "morgana/drivers/blkfront";

const SECTOR: u64 = 512;
const MAX_DEPTH: i32 = 32;
const MAX_BYTES: u32 = 64 * 1024;

/** The disk's pattern, as bench/drivers/block.ts writes it: the u32 at byte offset o is o ^ PATTERN; writes put o ^ WRITTEN. */
const PATTERN: u32 = 0x6d6f7267;
const WRITTEN: u32 = 0x77726974;

let sectors: u64 = 0;
let seed: u64 = 0x9e3779b97f4a7c15;

/** xorshift64: the random offsets, the same every run. */
function random(): u64 {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return seed;
}

/** The first byte offset of `r`'s buffer that breaks the pattern, or -1. */
function firstMismatch(r: BlockRequest): i64 {
  const base = r.sector * SECTOR;
  for (let i: u32 = 0; i < r.length; i += 4) {
    if (load<u32>(r.buffer + i) != (<u32>(base + i) ^ PATTERN)) return <i64>(base + i);
  }
  return -1;
}

function fillPattern(r: BlockRequest): void {
  const base = r.sector * SECTOR;
  for (let i: u32 = 0; i < r.length; i += 4) store<u32>(r.buffer + i, <u32>(base + i) ^ WRITTEN);
}

class Workload {
  next: u64 = 0;
  constructor(readonly name: string, readonly op: u8, readonly bytes: u32, readonly randomOffsets: bool, readonly depth: i32) {}

  /** Sends `r` (slot `slot`) for the workload's next offset; false on an error. */
  issue(disk: Blkfront, r: BlockRequest, slot: i32, buffers: usize): bool {
    const perRequest = <u64>this.bytes / SECTOR;
    const span = sectors / perRequest; // whole requests that fit on the disk
    r.op = this.op;
    r.sector = (this.randomOffsets ? random() % span : this.next++ % span) * perRequest;
    r.buffer = buffers + <usize>slot * MAX_BYTES;
    r.length = this.bytes;
    r.completion = null;
    if (this.op == BlockRequest.WRITE) fillPattern(r);
    const rc = disk.submit(r);
    if (rc) println(`${this.name}: submit: error ${rc}`);
    return rc == 0;
  }

  /** `ops` requests, `depth` in flight: slots are issued and awaited round-robin, so the one awaited is the oldest. */
  run(disk: Blkfront, ops: u32, buffers: usize): bool {
    const requests = new StaticArray<BlockRequest>(this.depth);
    for (let i = 0; i < this.depth; i++) requests[i] = new BlockRequest();
    println(`begin ${this.name}`);
    let issued: u32 = 0;
    let verified: u32 = 0;
    for (let i = 0; i < this.depth && issued < ops; i++, issued++) if (!this.issue(disk, requests[i], i, buffers)) return false;
    for (let done: u32 = 0, i = 0; done < ops; done++, i = (i + 1) % this.depth) {
      const r = requests[i];
      const rc = disk.wait(r);
      if (rc) {
        println(`${this.name}: request at sector ${r.sector}: error ${rc}`);
        return false;
      }
      if (this.op == BlockRequest.READ) {
        const bad = firstMismatch(r);
        if (bad >= 0) {
          println(`${this.name}: read at sector ${r.sector}: byte ${bad} breaks the pattern`);
          return false;
        }
        verified++;
      }
      if (issued < ops) {
        if (!this.issue(disk, r, i, buffers)) return false;
        issued++;
      }
    }
    println(`end ${this.name} ${ops}`);
    if (this.op == BlockRequest.READ) println(`${this.name}: ${verified} reads verified`);
    return true;
  }
}

/** Run in this order; bench/drivers/block.ts names them the same. */
const WORKLOADS: Workload[] = [
  new Workload("randread-4k-qd1", BlockRequest.READ, 4096, true, 1),
  new Workload("randread-4k-qd32", BlockRequest.READ, 4096, true, 32),
  new Workload("seqread-64k-qd1", BlockRequest.READ, MAX_BYTES, false, 1),
  new Workload("seqread-64k-qd32", BlockRequest.READ, MAX_BYTES, false, 32),
  new Workload("seqwrite-64k-qd1", BlockRequest.WRITE, MAX_BYTES, false, 1),
  new Workload("seqwrite-64k-qd32", BlockRequest.WRITE, MAX_BYTES, false, 32),
];

export function main(): i32 {
  const arg = cmdlineArg("ops");
  const ops = arg ? <u32>I32.parseInt(arg) : 0;
  if (ops == 0) {
    println("blk-bench: give ops=N on the command line");
    return 1;
  }
  const disk = connectBlkfront(null, 30 * NS_PER_SEC);
  disk.trusted = cmdlineArg("trusted") == "1";
  sectors = disk.info().sectors;
  println(`disk ${sectors} sectors, persistent ${disk.persistent ? "yes" : "no"}, trusted ${disk.trusted ? "yes" : "no"}, segments ${disk.maxSegments}, ring pages ${1 << disk.ringPageOrder}`);
  const buffers = allocPages(<u32>MAX_DEPTH * (MAX_BYTES / 4096));
  let ok = true;
  for (let i = 0; i < WORKLOADS.length && ok; i++) ok = WORKLOADS[i].run(disk, ops, buffers);
  disk.close(monotonicNs() + 5 * NS_PER_SEC);
  return ok ? 0 : 1;
}
