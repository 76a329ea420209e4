// blkfront under random reads, writes, flushes, discards and batches, checked
// against a model of the disk kept in memory (test/blk-*.test.ts also checks
// the image file against it). Command line: seed=N ops=N maxkib=N.
// Prints "final flush: <status>" once the last flush is acknowledged, then the
// driver's counters and the SHA-256 of every 64 KiB chunk whose content is known
// (a failed write or discard leaves its sectors unknown).
import { allocPages, BlockCompletion, BlockRequest, cmdlineArg, monotonicNs, NS_PER_SEC, println, sleep } from "morgana/runtime";
import { xenbusDevices } from "morgana/runtime/core/xenbus";
import { parseDecimal } from "morgana/runtime/core/xenstore";
import { Blkfront } from "morgana/drivers/blkfront";
import { Sha256 } from "../../../examples/block/sha256";

const CHUNK: u64 = 64 * 1024;
const BATCH: i32 = 4;
const MS: u64 = 1_000_000;

function arg(key: string, fallback: i64): i64 {
  const v = cmdlineArg(key);
  if (v === null) return fallback;
  const n = parseDecimal(v);
  return n < 0 ? fallback : n;
}

let state: u64 = 0;
function rand(n: u64): u64 {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state % n;
}

let disk!: Blkfront;
let model: usize = 0;
let unknown: StaticArray<u8> = new StaticArray<u8>(0);
let unitBytes: u64 = 512;
let units: u64 = 0;
let maxUnits: u64 = 1;
let mismatches: u32 = 0;
let failures: u32 = 0;
let reads: u32 = 0;
let writes: u32 = 0;
let flushes: u32 = 0;
let discards: u32 = 0;
let batches: u32 = 0;
let lost = false;

/** Counts completions told through BlockRequest.completion (the other half of a batch polls `done`). */
class Told extends BlockCompletion {
  count: u32 = 0;
  complete(request: BlockRequest): void {
    if (request.done) this.count++;
  }
}
const told = new Told();
let expectedTold: u32 = 0;

function mark(sector: u64, bytes: u64, isUnknown: bool): void {
  for (let s = sector; s < sector + bytes / 512; s++) unknown[<i32>s] = isUnknown ? 1 : 0;
}

/** After a failure: a broken or disconnected device gets 200 ms to come back. */
function failed(rc: i32): void {
  failures++;
  if (disk.isConnected()) return;
  const deadline = monotonicNs() + 200 * MS;
  while (!disk.isConnected() && monotonicNs() < deadline) sleep(MS);
  if (!disk.isConnected()) lost = true;
}

function checkRead(sector: u64, buffer: usize, bytes: u64): void {
  for (let s: u64 = 0; s < bytes / 512; s++) {
    if (unknown[<i32>(sector + s)]) continue;
    if (memory.compare(buffer + <usize>(s * 512), model + <usize>((sector + s) * 512), 512) != 0) mismatches++;
  }
}

function fill(buffer: usize, bytes: u64): void {
  for (let i: u64 = 0; i < bytes; i += 8) store<u64>(buffer + <usize>i, rand(U64.MAX_VALUE));
}

/** A random range inside [lo, hi) units: (first sector, bytes). */
function pick(lo: u64, hi: u64, out: StaticArray<u64>): void {
  const start = lo + rand(hi - lo);
  const count = 1 + rand(min(maxUnits, hi - start));
  out[0] = start * unitBytes / 512;
  out[1] = count * unitBytes;
}

function applyWrite(sector: u64, buffer: usize, bytes: u64, rc: i32): void {
  if (rc == 0) {
    memory.copy(model + <usize>(sector * 512), buffer, <usize>bytes);
    mark(sector, bytes, false);
  } else {
    mark(sector, bytes, true);
  }
}

export function main(): i32 {
  state = <u64>arg("seed", 1) * 0x9e3779b97f4a7c15 + 1;
  const ops = arg("ops", 200);
  const devices = xenbusDevices("vbd");
  if (devices.length == 0) {
    println("harness: no disk");
    return 1;
  }
  disk = new Blkfront(devices[0]);
  disk.timeoutNs = <u64>arg("timeoutms", 30_000) * MS;
  const rc = disk.connect(monotonicNs() + 10 * NS_PER_SEC);
  if (rc) {
    println(`harness: connect: ${rc}`);
    return 1;
  }
  const g = disk.info();
  const bytes = g.sectors * 512;
  unitBytes = g.sectorSize;
  units = bytes / unitBytes;
  maxUnits = max<u64>(1, <u64>arg("maxkib", 256) * 1024 / unitBytes);
  println(`disk: ${g.sectors} sectors, sector size ${g.sectorSize}, ${g.readOnly ? "ro" : "rw"}, flush ${g.flush}, discard ${g.discard}, persistent ${disk.persistent}, segments ${disk.maxSegments}, ring pages ${1 << disk.ringPageOrder}`);
  model = allocPages(<u32>(bytes / 4096));
  unknown = new StaticArray<u8>(<i32>g.sectors);
  const first = disk.read(0, model, <u32>bytes);
  if (first) {
    println(`harness: initial read: ${first}`);
    return 1;
  }
  // Requests not aligned to the logical sector size are refused before they reach the ring.
  if (unitBytes > 512) println(`misaligned read: ${disk.read(1, model, 512)}`);
  const maxBytes = maxUnits * unitBytes;
  const bufPages = <u32>(maxBytes / 4096 + 2);
  const buffers = allocPages(bufPages * BATCH);
  const requests = new StaticArray<BlockRequest>(BATCH);
  for (let i = 0; i < BATCH; i++) requests[i] = new BlockRequest();
  const range = new StaticArray<u64>(2);

  for (let op: i64 = 0; op < ops && !lost; op++) {
    const kind = rand(100);
    // Buffers start anywhere 512-aligned in a page, so segments straddle pages.
    const buf = buffers + <usize>(rand(8) * 512);
    if (kind < 35) {
      pick(0, units, range);
      const r = disk.read(range[0], buf, <u32>range[1]);
      reads++;
      if (r) failed(r);
      else checkRead(range[0], buf, range[1]);
    } else if (kind < 65) {
      if (g.readOnly) continue;
      pick(0, units, range);
      fill(buf, range[1]);
      const r = disk.write(range[0], buf, <u32>range[1]);
      writes++;
      applyWrite(range[0], buf, range[1], r);
      if (r) failed(r);
    } else if (kind < 75) {
      const r = disk.flush();
      flushes++;
      if (r) failed(r);
    } else if (kind < 82) {
      if (!g.discard) continue;
      pick(0, units, range);
      const r = disk.discard(range[0], range[1] / 512);
      discards++;
      if (r == 0) {
        memory.fill(model + <usize>(range[0] * 512), 0, <usize>range[1]);
        mark(range[0], range[1], false);
      } else {
        mark(range[0], range[1], true);
        failed(r);
      }
    } else {
      // A batch: one request per disjoint region of the disk, all in flight at once.
      batches++;
      const per = units / <u64>BATCH;
      for (let i = 0; i < BATCH; i++) {
        const r = requests[i];
        pick(<u64>i * per, <u64>(i + 1) * per, range);
        r.op = g.readOnly || rand(2) ? BlockRequest.READ : BlockRequest.WRITE;
        r.sector = range[0];
        r.length = <u32>range[1];
        r.buffer = buffers + <usize>i * bufPages * 4096 + <usize>(rand(8) * 512);
        r.completion = i & 1 ? told : null;
        if (r.op == BlockRequest.WRITE) fill(r.buffer, range[1]);
        const s = disk.submit(r);
        if (s) {
          r.done = true;
          r.status = s;
        } else if (r.completion) {
          expectedTold++;
        }
      }
      disk.drain();
      for (let i = 0; i < BATCH; i++) {
        const r = requests[i];
        const status = r.done ? r.status : -1;
        if (r.op == BlockRequest.WRITE) applyWrite(r.sector, r.buffer, r.length, status);
        else if (status == 0) checkRead(r.sector, r.buffer, r.length);
        if (status) failed(status);
      }
    }
  }
  if (!g.readOnly && !lost) println(`final flush: ${disk.flush()}`);
  const st = disk.stats;
  if (told.count != expectedTold) mismatches++;
  println(`ops: reads ${reads} writes ${writes} flushes ${flushes} discards ${discards} batches ${batches} failures ${failures} mismatches ${mismatches} told ${told.count}${lost ? " lost" : ""}`);
  println(`driver: requests ${st.requests} indirect ${st.indirectRequests} errors ${st.errors} badIds ${st.badIds} badOperations ${st.badOperations} overflows ${st.overflows} badStatuses ${st.badStatuses} polled ${st.polled} aborted ${st.aborted} leakedGrants ${st.leakedGrants} leakedPages ${disk.front.leakedPages} timeouts ${st.timeouts} connections ${disk.dev.connections} flush ${g.flush ? 1 : 0}`);
  for (let c: u64 = 0; c < bytes; c += CHUNK) {
    let known = true;
    for (let s = c / 512; s < (c + CHUNK) / 512 && s < g.sectors; s++) if (unknown[<i32>s]) known = false;
    if (!known) continue;
    const sha = new Sha256();
    sha.update(model + <usize>c, <usize>min(CHUNK, bytes - c));
    println(`chunk ${c / CHUNK} ${sha.hex()}`);
  }
  disk.close(monotonicNs() + 5 * NS_PER_SEC);
  return mismatches == 0 ? 0 : 1;
}
