// Eight reads in flight at once, and the virtual time at which each one was
// seen done: on the simulator the backend's completion latencies come from the
// run's seed, so this console is the seed's fingerprint (test/core.test.ts).
import { allocPages, BlockRequest, monotonicNs, NS_PER_SEC, println } from "morgana/runtime";
import { xenbusDevices } from "morgana/runtime/core/xenbus";
import { Blkfront } from "morgana/drivers/blkfront";

const READS: i32 = 8;

export function main(): i32 {
  const devices = xenbusDevices("vbd");
  if (devices.length == 0) {
    println("seeded-disk: no disk attached");
    return 1;
  }
  const disk = new Blkfront(devices[0]);
  const rc = disk.connect(monotonicNs() + 30 * NS_PER_SEC);
  if (rc) {
    println(`seeded-disk: ${devices[0]} did not connect: ${rc}`);
    return 1;
  }
  const buffers = allocPages(<u32>READS);
  const requests = new StaticArray<BlockRequest>(READS);
  const start = monotonicNs();
  for (let i = 0; i < READS; i++) {
    const r = (requests[i] = new BlockRequest());
    r.op = BlockRequest.READ;
    r.sector = <u64>i * 8;
    r.buffer = buffers + <usize>i * 4096;
    r.length = 4096;
    const s = disk.submit(r);
    if (s) {
      println(`read ${i}: submit: error ${s}`);
      return 1;
    }
  }
  for (let i = 0; i < READS; i++) {
    const s = disk.wait(requests[i]);
    println(`read ${i}: ${s ? `error ${s}` : "done"} at +${monotonicNs() - start} ns`);
  }
  disk.close(monotonicNs() + 5 * NS_PER_SEC);
  return 0;
}
