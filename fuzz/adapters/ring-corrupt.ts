// Random corruption of the responses a backend writes into a shared ring
// (io/ring.h), applied between the backend's write and the guest's next read:
// before each step of the guest, every response published since the last step
// is looked at once and, with probability p, rewritten. The ring is found as
// the guest published it (its grant references in xenstore), so this works
// with any backend, whatever its own fault switches.
import type { Domain, Simulator } from "../../sim/index.ts";
import { PAGE_SIZE } from "../../sim/guest_memory.ts";
import type { Prng } from "../../sim/prng.ts";
import { blkif_sring } from "../../sim/xen/io/blkif.ts";
import type { Store } from "../../sim/xenstore/store.ts";
import { utf8 } from "../../sim/xenstore/wire.ts";
import { chance } from "../campaign.ts";

const RSP_PROD = blkif_sring.rsp_prod.offset; // the same in every DEFINE_RING_TYPES header
const RING = blkif_sring.ring.offset;

/** Reads and writes a response slot's bytes in place. */
export interface Slot {
  get(offset: number, size: 1 | 2 | 8): bigint;
  set(offset: number, size: 1 | 2 | 8, value: bigint): void;
}

export interface RingSpec {
  /** The frontend's xenstore keys (relative to its device directory) naming the ring's grant references, in page order. */
  refKeys(store: Store, front: string): string[];
  /** Bytes per ring entry (the request/response union). */
  entry: number;
  /** Rewrites one response with a change of `kind`; false if it does not apply to this response. */
  apply(kind: string, rng: Prng, slot: Slot): boolean;
}

/** Picks the kind of change for one response of `spec`'s ring (a session's mix), or undefined for none. */
export type Chooser = (spec: RingSpec) => string | undefined;

interface Tracked {
  spec: RingSpec;
  refs: number[];
  size: number;
  seen: number;
}

export class RingCorrupter {
  responses = 0;
  hostile = 0;
  /** Responses let through untouched before the corruption starts (a guest's set-up), then `onArmed` runs. */
  armAfter = 0;
  onArmed?: () => void;
  readonly kinds: Record<string, number> = {};
  private readonly rings: Tracked[];

  constructor(
    private readonly sim: Simulator, private readonly store: Store, private readonly domain: Domain,
    private readonly front: string, specs: RingSpec[], private readonly rng: Prng,
    /** The chance that a response is changed (0 ends the hostility). */
    public p: number, private readonly choose: Chooser,
  ) {
    this.rings = specs.map((spec) => ({ spec, refs: [], size: 0, seen: 0 }));
    const step = domain.step.bind(domain);
    domain.step = () => {
      this.sweep();
      step();
    };
  }

  /** Looks at every response published since the last sweep. */
  private sweep(): void {
    for (const r of this.rings) {
      const keys = r.spec.refKeys(this.store, this.front);
      const refs = keys.map((k) => Number(utf8(this.store.nodes.get(`${this.front}/${k}`)?.value ?? new Uint8Array())));
      if (!refs.length || refs.some((x) => !Number.isInteger(x) || x <= 0)) continue;
      const prod = this.u32(refs, RSP_PROD);
      if (prod === undefined) continue;
      if (refs.join() !== r.refs.join()) {
        // A new ring (the device reconnected): start from what it holds now.
        r.refs = refs;
        r.size = 2 ** Math.floor(Math.log2((refs.length * PAGE_SIZE - RING) / r.spec.entry));
        r.seen = prod;
        continue;
      }
      const fresh = (prod - r.seen) >>> 0;
      if (fresh > r.size) {
        r.seen = prod; // a producer overflow (the backend's own fault): nothing to read
        continue;
      }
      for (let i = 0; i < fresh; i++) {
        if (++this.responses === this.armAfter) this.onArmed?.();
        if (this.responses <= this.armAfter || !chance(this.rng, this.p)) continue;
        const base = RING + (((r.seen + i) >>> 0) & (r.size - 1)) * r.spec.entry;
        const kind = this.choose(r.spec);
        if (!kind || !r.spec.apply(kind, this.rng, this.slot(refs, base))) continue;
        this.hostile++;
        this.kinds[kind] = (this.kinds[kind] ?? 0) + 1;
      }
      r.seen = prod;
    }
  }

  private u32(refs: number[], offset: number): number | undefined {
    const page = this.sim.grants.beginRead(this.domain.domid, refs[0]);
    if (typeof page === "number") return undefined;
    const v = new DataView(page.buffer, page.byteOffset).getUint32(offset, true);
    this.sim.grants.endRead(this.domain.domid, refs[0]);
    return v;
  }

  /** Little-endian access to the bytes at `base` of the ring's pages, page by page. */
  private slot(refs: number[], base: number): Slot {
    const byte = (at: number, value?: number): number => {
      const ref = refs[Math.floor(at / PAGE_SIZE)];
      const page = this.sim.grants.beginRead(this.domain.domid, ref);
      if (typeof page === "number") return 0;
      if (value !== undefined) page[at % PAGE_SIZE] = value;
      const b = page[at % PAGE_SIZE];
      this.sim.grants.endRead(this.domain.domid, ref);
      return b;
    };
    return {
      get: (offset, size) => {
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(byte(base + offset + i));
        return v;
      },
      set: (offset, size, value) => {
        for (let i = 0; i < size; i++) byte(base + offset + i, Number((value >> BigInt(8 * i)) & 0xffn));
      },
    };
  }
}
