// A disk: reports its geometry, writes a pattern, reads it back, flushes, and
// prints the SHA-256 of the whole disk (read in batches). Exits 0 when all is well.
import { allocPages, BlockRequest, monotonicNs, NS_PER_SEC, println } from "morgana/runtime";
import { connectBlkfront } from "morgana/drivers";
import { Sha256 } from "./sha256";

const PATTERN_BYTES: u64 = 256 * 1024;
const CHUNK: u32 = 256 * 1024;
const BATCH: i32 = 4;

function kib(bytes: u64): string {
  return `${bytes / 1024} KiB`;
}

/** The byte the pattern puts at offset `i`: changes every byte and every sector. */
function patternByte(i: u64): u8 {
  return <u8>((i * 7) ^ (i >> 9));
}

export function main(): i32 {
  const disk = connectBlkfront(null, 30 * NS_PER_SEC);
  const g = disk.info();
  const bytes = g.sectors * 512;
  println(`disk ${disk.handle}: ${g.sectors} sectors, ${kib(bytes)}, sector size ${g.sectorSize}, physical ${g.physicalSectorSize}, ${g.readOnly ? "read-only" : "read-write"}${g.removable ? ", removable" : ""}`);
  println(`features: flush ${g.flush ? "yes" : "no"}, discard ${g.discard ? `yes (granularity ${g.discardGranularity})` : "no"}, persistent ${disk.persistent ? "yes" : "no"}, segments ${disk.maxSegments}, ring pages ${1 << disk.ringPageOrder}`);

  const buffers = allocPages(<u32>(CHUNK / 4096) * BATCH);
  let ok = true;
  if (!g.readOnly) {
    const len = <u32>min(PATTERN_BYTES, bytes);
    const check = allocPages(len / 4096 + 1);
    for (let i: u32 = 0; i < len; i++) store<u8>(buffers + i, patternByte(i));
    let r = disk.write(0, buffers, len);
    if (!r) r = disk.read(0, check, len);
    const same = !r && memory.compare(buffers, check, len) == 0;
    println(`pattern: ${kib(len)} written and read back: ${r ? `error ${r}` : same ? "OK" : "MISMATCH"}`);
    const f = disk.flush();
    println(`flush: ${f ? `error ${f}` : "OK"}`);
    ok = same && !f;
  }

  // The whole disk, BATCH reads in flight at a time, hashed in order.
  const sha = new Sha256();
  const requests = new StaticArray<BlockRequest>(BATCH);
  for (let i = 0; i < BATCH; i++) requests[i] = new BlockRequest();
  for (let at: u64 = 0; at < bytes && ok; ) {
    let n = 0;
    for (; n < BATCH && at < bytes; n++) {
      const r = requests[n];
      r.op = BlockRequest.READ;
      r.sector = at / 512;
      r.buffer = buffers + <usize>n * CHUNK;
      r.length = <u32>min(<u64>CHUNK, bytes - at);
      const s = disk.submit(r);
      if (s) {
        println(`read at ${at}: error ${s}`);
        ok = false;
        break;
      }
      at += r.length;
    }
    disk.drain();
    for (let i = 0; i < n && ok; i++) {
      const r = requests[i];
      if (!r.done || r.status) {
        println(`read at sector ${r.sector}: error ${r.status}`);
        ok = false;
      } else {
        sha.update(r.buffer, r.length);
      }
    }
  }
  if (ok) println(`sha256: ${sha.hex()}`);
  disk.close(monotonicNs() + 5 * NS_PER_SEC);
  return ok ? 0 : 1;
}
