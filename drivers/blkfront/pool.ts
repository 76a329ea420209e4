// Driver-owned pages granted to the backend once and reused for every request,
// data copied through them: persistent grants (feature-persistent: the backend
// keeps them mapped), and the bounce buffers of reads from a backend without
// them. Pages are added on demand up to a cap; Blkfront revokes them all at
// teardown.
import { allocPage, freePage } from "../../runtime/core/pages";
import { GRANT_INVALID_REF, grantPage } from "../../runtime/core/grants";

export class GrantPool {
  readonly pages: StaticArray<usize>;
  readonly grefs: StaticArray<u32>;
  private readonly free: StaticArray<i32>;
  private nfree: i32 = 0;
  /** Pages granted so far. */
  count: i32 = 0;
  constructor(readonly cap: i32, readonly domid: u16) {
    this.pages = new StaticArray<usize>(cap);
    this.grefs = new StaticArray<u32>(cap);
    this.free = new StaticArray<i32>(cap);
  }

  /** Slots obtainable now (free ones plus the room to grow), not counting grant shortage. */
  available(): i32 {
    return this.nfree + (this.cap - this.count);
  }

  /** A pool slot, or -1 if none is free and no page can be granted. */
  take(): i32 {
    if (this.nfree > 0) return unchecked(this.free[--this.nfree]);
    if (this.count == this.cap) return -1;
    const page = allocPage();
    const ref = grantPage(this.domid, page, false);
    if (ref == GRANT_INVALID_REF) {
      freePage(page);
      return -1;
    }
    const i = this.count++;
    unchecked((this.pages[i] = page));
    unchecked((this.grefs[i] = ref));
    return i;
  }

  give(i: i32): void {
    unchecked((this.free[this.nfree++] = i));
  }
}
