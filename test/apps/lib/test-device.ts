// What the in-memory test devices share: a MAC held in a u64, an MTU, and
// page-backed frame buffers that fit one frame each.
import { allocPages, Network } from "morgana/runtime";

export abstract class TestDevice extends Network {
  constructor(public address: u64, public maxPayload: u32) {
    super();
  }
  mac(dst: usize): void {
    store<u32>(dst, <u32>this.address);
    store<u16>(dst + 4, <u16>(this.address >> 32));
  }
  mtu(): u32 {
    return this.maxPayload;
  }
  /** `count` buffers, each as many pages as a whole frame needs. */
  frameBuffers(count: i32): StaticArray<usize> {
    const buffers = new StaticArray<usize>(count);
    const pages = (14 + this.maxPayload + 4095) >> 12;
    for (let i = 0; i < count; i++) buffers[i] = allocPages(pages);
    return buffers;
  }
}
