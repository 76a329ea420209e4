// The guest's xenstore client (runtime/core/xenstore.ts) against a xenstored
// whose messages to the guest are made hostile at random: dropped, duplicated,
// strays, wrong or impossible types and lengths, error strings, spurious watch
// events, bad ids. A quarter of the sessions also edit values in well-formed
// replies and make lengths lie: what no protocol can detect, counted apart.
import { Simulator } from "../../sim/index.ts";
import { Prng } from "../../sim/prng.ts";
import * as X from "../../sim/xen/io/xs_wire.ts";
import { plugXenstore } from "../../sim/xenstore/plug.ts";
import { type Caller, Store, type Watch, type Watcher } from "../../sim/xenstore/store.ts";
import { XSD_ERRORS, encodeMessage, strings } from "../../sim/xenstore/wire.ts";
import { type SessionResult, type Target, chance, guest, judge, pick, runSim, verbose } from "../campaign.ts";

const APP = "fuzz/apps/xenstore";
const HEADER = X.xsd_sockmsg.SIZE;
const DETECTABLE = ["drop", "duplicate", "stray", "wrong-type", "bad-type", "oversize", "error", "event", "bad-id"] as const;
const UNDETECTABLE = ["edit", "lie-long", "lie-short"] as const;
type Mutation = (typeof DETECTABLE)[number] | (typeof UNDETECTABLE)[number];

function field(m: Uint8Array, f: { offset: number }, value?: number): number {
  const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
  if (value !== undefined) v.setUint32(f.offset, value >>> 0, true);
  return v.getUint32(f.offset, true);
}

/** `m` as a hostile xenstored would send it instead. */
function mutate(rng: Prng, kind: Mutation, m: Uint8Array): Uint8Array[] {
  const copy = m.slice();
  const len = field(m, X.xsd_sockmsg.len);
  switch (kind) {
    case "drop": return [];
    case "duplicate": return [m, m];
    case "stray": return [encodeMessage(field(m, X.xsd_sockmsg.type), 0x10000 + rng.int(1 << 20), 0, strings("stray")), m];
    case "wrong-type": {
      // An error turned into the request's own type would be a well-formed reply: that is an edit.
      const type = field(m, X.xsd_sockmsg.type);
      if (type === X.XS_ERROR) return [];
      let other = rng.int(X.XS_TYPE_COUNT);
      while (other === type || other === X.XS_ERROR) other = rng.int(X.XS_TYPE_COUNT);
      field(copy, X.xsd_sockmsg.type, other);
      return [copy];
    }
    case "bad-type": field(copy, X.xsd_sockmsg.type, X.XS_TYPE_COUNT + rng.int(0xffff)); return [copy];
    case "oversize": field(copy, X.xsd_sockmsg.len, X.XENSTORE_PAYLOAD_MAX + 1 + rng.int(1 << 20)); return [copy];
    case "error": {
      const name = chance(rng, 0.8) ? pick(rng, XSD_ERRORS) : "EWHAT";
      return [encodeMessage(X.XS_ERROR, field(m, X.xsd_sockmsg.req_id), field(m, X.xsd_sockmsg.tx_id), strings(name))];
    }
    case "event": {
      const token = chance(rng, 0.7) ? "morgana-1" : `bogus-${rng.int(100)}`;
      return [m, encodeMessage(X.XS_WATCH_EVENT, 0, 0, strings(`data/f/k${rng.int(20)}`, token))];
    }
    case "bad-id": field(copy, X.xsd_sockmsg.req_id, field(m, X.xsd_sockmsg.req_id) ^ (1 + rng.int(0xffffff))); return [copy];
    case "edit":
      if (len === 0) return [m];
      copy[HEADER + rng.int(len)] ^= 1 + rng.int(255);
      return [copy];
    case "lie-long": field(copy, X.xsd_sockmsg.len, len + 1 + rng.int(3)); return [copy];
    case "lie-short": field(copy, X.xsd_sockmsg.len, Math.max(0, len - 1 - rng.int(3))); return [copy];
  }
}

/** Turns the daemon honest once the guest writes data/f/phase. */
class Phase implements Watcher {
  readonly caller: Caller = { domid: 0, privileged: true };
  readonly watches: Watch[];
  honest = false;
  constructor(domid: number) {
    this.watches = [{ path: `/local/domain/${domid}/data/f/phase`, token: "phase", prefixLength: 0 }];
  }
  deliver(): void {
    this.honest = true;
  }
  shutdown(): void {}
}

export const xenstoreClient: Target = {
  name: "xenstore-client",
  what: "runtime/core/xenstore.ts against a xenstored sending hostile replies and events",
  prepare: () => guest(APP),
  async session(seed, smoke) {
    const rng = new Prng(seed);
    const lies = chance(rng, 0.25);
    const p = 0.15 + rng.random() * 0.45;
    const sim = new Simulator({ seed });
    const store = new Store();
    let phase: Phase | undefined;
    const counts = { responses: 0, hostile: 0, undetectable: 0 };
    const extra: Record<string, number> = {};
    plugXenstore(sim, store, () => (m) => {
      counts.responses++;
      if (!phase || phase.honest || !chance(rng, p)) return [m];
      const kind: Mutation = lies && chance(rng, 0.3) ? pick(rng, UNDETECTABLE) : pick(rng, DETECTABLE);
      counts.hostile++;
      if ((UNDETECTABLE as readonly string[]).includes(kind)) counts.undetectable++;
      extra[kind] = (extra[kind] ?? 0) + 1;
      if (verbose.on) console.log(`mutation ${kind}: type ${field(m, X.xsd_sockmsg.type)} req ${field(m, X.xsd_sockmsg.req_id)} len ${field(m, X.xsd_sockmsg.len)}`);
      return mutate(rng, kind, m);
    });
    const d = sim.createDomain({ name: "xs-fuzz", wasm: await guest(APP), cmdline: `seed=${seed} ops=${smoke ? 40 : 400}` });
    phase = new Phase(d.domid);
    store.watchers.add(phase);
    const err = await runSim(sim, 120_000);
    if (verbose.on) console.log(d.console);
    const result: SessionResult = { counts, failures: [], extra };
    judge(d, err, result);
    const m = /^fuzz: ok (\d+) failed (\d+) mismatches (\d+) resets (\d+) strays (\d+) coalesced (\d+) handler (\d+) watch (-?\d+) clean (\d+)$/m.exec(d.console);
    if (!m) {
      if (!result.failures.length) result.failures.push({ kind: "hang", detail: "no summary line" });
      return result;
    }
    const [, okN, failedN, mismatches, resets, strays, coalesced, handler, , clean] = m.map(Number);
    Object.assign(extra, { requestsOk: okN, requestsFailed: failedN, resets, strays, coalesced, handlerCalls: handler });
    if (lies) result.counts.undetectableWrongData = mismatches;
    else if (mismatches) {
      result.counts.wrongData = mismatches;
      result.failures.push({ kind: "wrong data", detail: `${mismatches} values differ from what was written` });
    }
    if (clean < 10) {
      result.counts.hangs = (result.counts.hangs ?? 0) + 1;
      result.failures.push({ kind: "hang", detail: `after the hostile phase only ${clean} of the last 10 requests worked` });
    }
    return result;
  },
};
