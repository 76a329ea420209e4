// A domain's linear memory, its machine frames and the special frames
// (shared_info, console, store, grant table) the guest maps over its pages.
import { viewOf } from "./layout.ts";

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/** Hypercall pointers are this plus a linear offset (runtime/platform.ts). */
export const MEMORY_BASE = 0x100_0000_0000n;
/** Frames of domain d are (d << 20) | index: RAM below this index, special frames from it. */
const FRAMES_PER_DOMAIN = 1 << 20;
const SPECIAL_INDEX = 1 << 19;
/** RAM must stay below the special frames' indexes. */
export const MAX_MEMORY_PAGES = SPECIAL_INDEX;

/** A frame Xen owns on the domain's behalf: backed here until the guest maps it. */
export class SpecialFrame {
  readonly backing = new Uint8Array(PAGE_SIZE);
  /** Linear page it is mapped over, or -1. */
  mappedAt = -1;
  /** That page's own RAM contents while the special frame covers it. */
  saved = new Uint8Array(PAGE_SIZE);
  readonly backingView = viewOf(this.backing);
  /** Where it is mapped, as of GuestMemory epoch `epoch` (event channels read shared_info several times an event). */
  mappedBytes: Uint8Array = this.backing;
  mappedView = this.backingView;
  epoch = -1;

  constructor(readonly mfn: number) {}
}

export class GuestMemory {
  /** Bumped whenever a frame's bytes may have moved: a new buffer, or a page covered or uncovered. */
  private epoch = 0;
  private cachedBytes: Uint8Array = new Uint8Array(0);
  private cachedView: DataView = new DataView(new ArrayBuffer(0));
  private readonly specials: SpecialFrame[] = [];
  private readonly coveredPages = new Map<number, SpecialFrame>();
  /** This domain's first frame number, and its RAM pages as of the cached buffer (hasFrame is asked on every grant copy). */
  private readonly firstMfn: number;
  private ramPages = 0;

  constructor(readonly memory: WebAssembly.Memory, readonly domid: number) {
    this.firstMfn = domid * FRAMES_PER_DOMAIN;
  }

  /** The whole linear memory (fresh after memory.grow detaches the old buffer). */
  get bytes(): Uint8Array {
    this.refresh();
    return this.cachedBytes;
  }

  get view(): DataView {
    this.refresh();
    return this.cachedView;
  }

  // memory.grow detaches the old buffer (linear memory is not shared), which empties its views:
  // reading `memory.buffer` on every access costs more than the check. `length`, not `byteLength`:
  // V8 inlines the one and calls a builtin for the other (1 ns against 13).
  private refresh(): void {
    if (this.cachedBytes.length === 0) {
      const buffer = this.memory.buffer;
      this.cachedBytes = new Uint8Array(buffer);
      this.cachedView = new DataView(buffer);
      this.ramPages = this.cachedBytes.length / PAGE_SIZE;
      this.epoch++;
    }
  }

  /** The current epoch: a FrameView made in another is stale. */
  get frameEpoch(): number {
    this.refresh();
    return this.epoch;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** The linear offset of guest virtual [va, va + len), or -1 when it leaves linear memory. */
  linear(va: bigint, len: number): number {
    const offset = va - MEMORY_BASE;
    if (offset < 0n || len < 0 || offset + BigInt(len) > BigInt(this.size)) return -1;
    return Number(offset);
  }

  ramMfn(page: number): number {
    return this.domid * FRAMES_PER_DOMAIN + page;
  }

  /** Allocates a special frame of this domain. */
  special(): SpecialFrame {
    const frame = new SpecialFrame(this.domid * FRAMES_PER_DOMAIN + SPECIAL_INDEX + this.specials.length);
    this.specials.push(frame);
    return frame;
  }

  /** Whether `mfn` is one of this domain's frames (frameBytes would not be null). */
  hasFrame(mfn: number): boolean {
    const index = mfn - this.firstMfn;
    if (index >= SPECIAL_INDEX) return index - SPECIAL_INDEX < this.specials.length;
    this.refresh();
    return index >= 0 && index < this.ramPages;
  }

  /** `mfn` is one of this domain's RAM frames (not a special frame). */
  isRamFrame(mfn: number): boolean {
    const index = mfn - this.firstMfn;
    return index >= 0 && index < SPECIAL_INDEX && this.hasFrame(mfn);
  }

  /** The frame's bytes where they live now; null if `mfn` is not one of this domain's frames. */
  frameBytes(mfn: number): Uint8Array | null {
    if (Math.floor(mfn / FRAMES_PER_DOMAIN) !== this.domid) return null;
    const index = mfn % FRAMES_PER_DOMAIN;
    if (index >= SPECIAL_INDEX) {
      const frame = this.specials[index - SPECIAL_INDEX];
      return frame ? this.specialBytes(frame) : null;
    }
    if (index >= this.size / PAGE_SIZE) return null;
    return this.coveredPages.get(index)?.saved ?? this.bytes.subarray(index * PAGE_SIZE, (index + 1) * PAGE_SIZE);
  }

  specialBytes(frame: SpecialFrame): Uint8Array {
    if (frame.mappedAt < 0) return frame.backing;
    this.syncMapped(frame);
    return frame.mappedBytes;
  }

  specialView(frame: SpecialFrame): DataView {
    if (frame.mappedAt < 0) return frame.backingView;
    this.syncMapped(frame);
    return frame.mappedView;
  }

  private syncMapped(frame: SpecialFrame): void {
    const epoch = this.frameEpoch;
    if (frame.epoch === epoch) return;
    frame.mappedBytes = this.bytes.subarray(frame.mappedAt * PAGE_SIZE, (frame.mappedAt + 1) * PAGE_SIZE);
    frame.mappedView = viewOf(frame.mappedBytes);
    frame.epoch = epoch;
  }

  /**
   * update_va_mapping of linear page `page` to `mfn` (or to nothing when mfn
   * is null: the page's own frame returns). Returns false when `mfn` cannot
   * be placed there: wasm linear memory cannot alias one RAM page at another.
   */
  map(page: number, mfn: number | null): boolean {
    const index = mfn === null ? page : mfn % FRAMES_PER_DOMAIN;
    if (mfn !== null && Math.floor(mfn / FRAMES_PER_DOMAIN) !== this.domid) return false;
    if (index < SPECIAL_INDEX) {
      if (index !== page) return false;
      this.uncover(page);
      return true;
    }
    const frame = this.specials[index - SPECIAL_INDEX];
    if (!frame) return false;
    if (frame.mappedAt === page) return true;
    // Xen would alias the frame at both addresses; one linear page holds it here, so it moves.
    if (frame.mappedAt >= 0) this.uncover(frame.mappedAt);
    this.uncover(page);
    const at = page * PAGE_SIZE;
    const bytes = this.bytes;
    frame.saved.set(bytes.subarray(at, at + PAGE_SIZE));
    bytes.set(frame.backing, at);
    frame.mappedAt = page;
    this.coveredPages.set(page, frame);
    this.epoch++;
    return true;
  }

  /** A special frame covers linear page `page`. */
  isCovered(page: number): boolean {
    return this.coveredPages.has(page);
  }

  /** Gives `page` its own RAM back; a special frame there keeps its contents in its backing. */
  private uncover(page: number): void {
    const frame = this.coveredPages.get(page);
    if (!frame) return;
    const at = page * PAGE_SIZE;
    const bytes = this.bytes;
    frame.backing.set(bytes.subarray(at, at + PAGE_SIZE));
    bytes.set(frame.saved, at);
    frame.mappedAt = -1;
    this.coveredPages.delete(page);
    this.epoch++;
  }
}

/** One frame's bytes and a view of them, made again only when the frame may have moved (see `frameEpoch`). */
export class FrameView {
  private epoch = -1;
  private cachedBytes: Uint8Array = new Uint8Array(0);
  private cachedView: DataView = new DataView(new ArrayBuffer(0));

  constructor(private readonly memory: GuestMemory, readonly mfn: number) {}

  /** The frame's bytes where they live now; throws if `mfn` is not (or no longer) the domain's frame. */
  get bytes(): Uint8Array {
    this.sync();
    return this.cachedBytes;
  }

  get view(): DataView {
    this.sync();
    return this.cachedView;
  }

  private sync(): void {
    const epoch = this.memory.frameEpoch;
    if (epoch === this.epoch) return;
    const bytes = this.memory.frameBytes(this.mfn);
    if (!bytes) throw new Error(`guest memory: frame ${this.mfn.toString(16)} vanished`);
    this.cachedBytes = bytes;
    this.cachedView = viewOf(bytes);
    this.epoch = epoch;
  }
}
