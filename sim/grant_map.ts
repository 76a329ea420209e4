// GNTTABOP_map_grant_ref and unmap_grant_ref from a guest. One wasm memory
// cannot alias another's page, but only one guest runs at a time and it
// leaves only through `block`: the mapped page is copied in from the
// granter's frame when the mapper starts a run and, if writable, back out
// when the run ends, so every other party (the granter, the backends) sees a
// coherent page whenever it runs. The granter's entry shows GTF_reading and
// GTF_writing while mapped, as on Xen (GrantTable.acquire/release).
import { FrameView, PAGE_SIZE } from "./guest_memory.ts";
import type { GrantDomain } from "./grant_table.ts";
import { GNTST_bad_handle, GNTST_bad_virt_addr, GNTST_general_error, GNTST_no_space, GNTST_okay } from "./xen/grant_table.ts";

/** Mappings one domain may hold at once (Xen's default max_maptrack_frames gives 1,024 frames of them). */
export const MAX_GUEST_MAPS = 4096;

interface Mapping {
  granter: GrantDomain;
  ref: number;
  readonly: boolean;
  /** The mapper's linear page showing the grant. */
  page: number;
  frame: FrameView;
  /** The page's own contents, back at unmap. */
  saved: Uint8Array;
}

export class GuestGrantMaps {
  /** By handle: a free handle's slot is undefined. */
  private readonly maps: (Mapping | undefined)[] = [];
  private readonly byPage = new Map<number, number>();
  private live = 0;

  constructor(private readonly mapper: GrantDomain) {}

  get count(): number {
    return this.live;
  }

  /** Maps `granter`'s `ref` over linear page `page`: { status, handle }. */
  map(granter: GrantDomain, ref: number, page: number, readonly: boolean): { status: number; handle: number } {
    if (this.byPage.has(page) || this.mapper.mem.isCovered(page)) return { status: GNTST_bad_virt_addr, handle: 0 };
    if (this.live >= MAX_GUEST_MAPS) return { status: GNTST_no_space, handle: 0 };
    const mfn = granter.grants.acquire(ref, this.mapper.domid, readonly, true);
    if (mfn < 0) return { status: mfn, handle: 0 };
    let handle = this.maps.indexOf(undefined);
    if (handle < 0) handle = this.maps.push(undefined) - 1;
    const bytes = this.mapper.mem.bytes;
    const at = page * PAGE_SIZE;
    const m: Mapping = { granter, ref, readonly, page, frame: new FrameView(granter.mem, mfn), saved: bytes.slice(at, at + PAGE_SIZE) };
    this.maps[handle] = m;
    this.byPage.set(page, handle);
    this.live++;
    bytes.set(m.frame.bytes, at);
    return { status: GNTST_okay, handle };
  }

  /** Unmaps `handle`, which must be mapped at `page`: the page's own contents come back. */
  unmap(page: number, handle: number): number {
    const m = this.maps[handle];
    if (!m) return GNTST_bad_handle;
    if (m.page !== page) return GNTST_general_error;
    this.copyBack(m);
    this.mapper.mem.bytes.set(m.saved, page * PAGE_SIZE);
    this.drop(handle, m);
    return GNTST_okay;
  }

  /** Before the mapper runs: each mapped page shows its frame as it is now. */
  copyIn(): void {
    if (this.live === 0) return;
    const bytes = this.mapper.mem.bytes;
    for (const m of this.maps) if (m) bytes.set(m.frame.bytes, m.page * PAGE_SIZE);
  }

  /** After the mapper ran (and before a grant copy reads a granter's frame): writable pages go back. */
  copyOut(): void {
    if (this.live === 0) return;
    for (const m of this.maps) if (m) this.copyBack(m);
  }

  private copyBack(m: Mapping): void {
    if (m.readonly) return;
    const at = m.page * PAGE_SIZE;
    m.frame.bytes.set(this.mapper.mem.bytes.subarray(at, at + PAGE_SIZE));
  }

  /** The mapper ended: every pin goes, so the granters can end their grants (Xen's unmap on domain destruction). */
  releaseAll(): void {
    this.maps.forEach((m, handle) => m && this.drop(handle, m));
  }

  private drop(handle: number, m: Mapping): void {
    m.granter.grants.release(m.ref, m.readonly);
    this.maps[handle] = undefined;
    this.byPage.delete(m.page);
    this.live--;
  }
}
