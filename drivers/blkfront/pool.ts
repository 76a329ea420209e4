// Persistent grants (feature-persistent): a pool of pages granted to the
// backend once and reused for every request, data copied through them, so the
// backend can keep them mapped. Pages are added on demand up to a cap and all
// revoked at teardown.
import { allocPage, freePage } from "../../runtime/core/pages";
import { endAccess, GRANT_INVALID_REF, grantPage } from "../../runtime/core/grants";

export class GrantPool {
  readonly pages: StaticArray<usize>;
  readonly grefs: StaticArray<u32>;
  private readonly free: StaticArray<i32>;
  private nfree: i32 = 0;
  /** Pages granted so far. */
  count: i32 = 0;
  /** Pages whose grant the backend still held at teardown (kept, never reused). */
  leaked: u32 = 0;

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

  /** Revokes every grant; a page the backend still maps is leaked rather than reused. */
  release(): void {
    for (let i = 0; i < this.count; i++) {
      if (endAccess(unchecked(this.grefs[i]))) freePage(unchecked(this.pages[i]));
      else this.leaked++;
    }
    this.count = 0;
    this.nfree = 0;
  }
}
