// The disk image behind the simulated blkback: a raw file, written back from a
// cache of dirty 512-byte sectors. Real I/O runs on a worker thread, in the
// order it was posted (so a read posted after a write-back sees it); the
// backend waits for an operation's end at the virtual time it chose for the
// completion (Atomics.wait), so a run is repeatable whatever the host's disk does.
import { closeSync, fstatSync, openSync } from "node:fs";
import { Worker } from "node:worker_threads";

const SECTOR = 512;
/** Longest wait for one real operation before it counts as failed. */
const IO_TIMEOUT_MS = 30_000;

// Runs each batch's operations in order with blocking calls, raising each one's flag (two words per operation).
const WORKER = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
parentPort.on("message", ({ ops, fd, flags }) => {
  ops.forEach(({ op, pos, data }, i) => {
    let rc = 0;
    try {
      if (op === "read") {
        for (let n = 0; n < data.length; ) {
          const r = fs.readSync(fd, data, n, data.length - n, pos + n);
          if (r === 0) { data.fill(0, n); break; }
          n += r;
        }
      } else if (op === "write") {
        for (let n = 0; n < data.length; ) n += fs.writeSync(fd, data, n, data.length - n, pos + n);
      } else if (op === "fsync") {
        fs.fsyncSync(fd);
      }
    } catch (e) {
      rc = -(Math.abs(e.errno || 5));
    }
    Atomics.store(flags, 2 * i + 1, rc);
    Atomics.store(flags, 2 * i, 1);
    Atomics.notify(flags, 2 * i);
  });
});
`;

type Op = { op: "read" | "write" | "fsync"; pos: number; data: Uint8Array };

/** An operation posted to the worker: `wait()` blocks until it ended and returns 0 or a negative errno. */
export interface Pending {
  wait(): number;
}

export class BlkImage {
  readonly sizeBytes: number;
  /** Acknowledged writes not yet written back: sector -> its offset in `cache` (no object per sector). */
  private readonly dirty = new Map<number, number>();
  private cache = new Uint8Array(64 * SECTOR);
  /** Offsets in `cache` that discards freed, used again first. */
  private free: number[] = [];
  private readonly worker: Worker;
  private fd: number;
  /** Operations posted since the last `submit`, and the flags they will get. */
  private batch: Op[] = [];
  private batchFlags: { flags: Int32Array } = { flags: new Int32Array(0) };

  /** Opens `path` (read-only or read-write); throws the fs error. */
  constructor(readonly path: string, readonly readOnly: boolean, private readonly cacheLimitBytes: number) {
    this.fd = openSync(path, readOnly ? "r" : "r+");
    this.sizeBytes = fstatSync(this.fd).size;
    this.worker = new Worker(WORKER, { eval: true });
    this.worker.unref();
  }

  dirtyBytes(): number {
    return this.dirty.size * SECTOR;
  }

  /** Reads `len` bytes at `pos`: the file as the worker finds it, under the writes cached now. */
  read(pos: number, len: number): { pending: Pending; data: () => Uint8Array } {
    const shared = new Uint8Array(new SharedArrayBuffer(len));
    // Copied now: the cache's bytes are rewritten in place by later writes.
    const overlay: [number, Uint8Array][] = [];
    for (let s = pos / SECTOR; s < (pos + len) / SECTOR; s++) {
      const at = this.dirty.get(s);
      if (at !== undefined) overlay.push([s * SECTOR - pos, this.cache.slice(at, at + SECTOR)]);
    }
    const pending = this.post("read", pos, shared);
    return {
      pending,
      data: () => {
        const out = new Uint8Array(shared);
        for (const [at, bytes] of overlay) out.set(bytes, at);
        return out;
      },
    };
  }

  /** Caches a write (copied); past the cache limit, everything dirty is written back (no fsync). */
  write(pos: number, data: Uint8Array): Pending | undefined {
    for (let at = 0; at < data.length; at += SECTOR) {
      const sector = (pos + at) / SECTOR;
      let slot = this.dirty.get(sector);
      if (slot === undefined) {
        slot = this.free.pop() ?? this.dirty.size * SECTOR;
        this.dirty.set(sector, slot);
        if (slot + SECTOR > this.cache.length) {
          const grown = new Uint8Array(this.cache.length * 2);
          grown.set(this.cache);
          this.cache = grown;
        }
      }
      this.cache.set(data.subarray(at, at + SECTOR), slot);
    }
    return this.dirtyBytes() > this.cacheLimitBytes ? this.writeBack() : undefined;
  }

  /** Forgets cached writes in the range and writes zeros there (what a discard leaves). */
  discard(pos: number, len: number): Pending {
    for (let s = pos / SECTOR; s < (pos + len) / SECTOR; s++) {
      const slot = this.dirty.get(s);
      if (slot === undefined) continue;
      this.dirty.delete(s);
      this.free.push(slot);
    }
    return this.post("write", pos, new Uint8Array(len));
  }

  /** Writes every cached sector back, then fsync: once it ended well, the data is on disk. */
  flush(): Pending {
    this.writeBack();
    return this.post("fsync", 0, new Uint8Array(0));
  }

  /** Posts the cached sectors, in runs of adjacent ones; the cache is empty afterwards. */
  private writeBack(): Pending {
    const sectors = [...this.dirty.keys()].sort((a, b) => a - b);
    let last: Pending = { wait: () => 0 };
    const waits: Pending[] = [];
    for (let i = 0; i < sectors.length; ) {
      let j = i + 1;
      while (j < sectors.length && sectors[j] === sectors[j - 1] + 1) j++;
      const run = new Uint8Array((j - i) * SECTOR);
      for (let k = i; k < j; k++) {
        const slot = this.dirty.get(sectors[k])!;
        run.set(this.cache.subarray(slot, slot + SECTOR), (k - i) * SECTOR);
      }
      last = this.post("write", sectors[i] * SECTOR, run);
      waits.push(last);
      i = j;
    }
    this.dirty.clear();
    this.free = [];
    return { wait: () => waits.reduce((rc, p) => p.wait() || rc, 0) };
  }

  /** Queues an operation for the worker; it goes with its batch at `submit`, or when something waits for it. */
  private post(op: Op["op"], pos: number, data: Uint8Array): Pending {
    const index = this.batch.length;
    const batch = this.batchFlags;
    this.batch.push({ op, pos, data });
    return {
      wait: () => {
        if (batch === this.batchFlags) this.submit();
        if (Atomics.wait(batch.flags, 2 * index, 0, IO_TIMEOUT_MS) === "timed-out") return -110;
        return Atomics.load(batch.flags, 2 * index + 1);
      },
    };
  }

  /** Hands every queued operation to the worker in one message (one hand-off per ring drain, not per request). */
  submit(): void {
    if (this.batch.length === 0) return;
    this.batchFlags.flags = new Int32Array(new SharedArrayBuffer(8 * this.batch.length));
    this.worker.postMessage({ ops: this.batch, fd: this.fd, flags: this.batchFlags.flags });
    this.batch = [];
    this.batchFlags = { flags: new Int32Array(0) };
  }

  /** Writes back, fsyncs and closes the file (a backend going away keeps every acknowledged write). */
  close(): number {
    if (this.fd < 0) return 0;
    const rc = this.flush().wait(); // also waits out every operation posted before
    closeSync(this.fd);
    this.fd = -1;
    void this.worker.terminate();
    return rc;
  }
}
