// What the simulator calls to give a domain its xenstore: a connection on the
// domain's ring page, introduced to the store (@introduceDomain fires).
import { Connection } from "./connection.ts";
import { type PageAccess, RingServer } from "./ring.ts";
import type { Store } from "./store.ts";

export interface XenstoreAttachment {
  /** Call when the domain notifies its xenstore event channel (store_evtchn). */
  onEvent(): void;
  /** The domain is gone: release it (@releaseDomain fires) and stop serving its ring. */
  release(): void;
  readonly ring: RingServer;
  readonly connection: Connection;
}

/**
 * Turns each message for the domain (a reply or a watch event) into what is really
 * sent: an adversarial xenstored for tests (bad lengths, ids, types, errors).
 */
export type Tamper = (message: Uint8Array) => Uint8Array[];

/**
 * Serves `domid` over its xenstore page. `page` returns the page's bytes as they are
 * now; `notify` signals the domain's end of store_evtchn. dom0 is privileged.
 */
export function attachXenstore(
  store: Store, domid: number, page: PageAccess, notify: () => void, tamper?: Tamper,
): XenstoreAttachment {
  let connection: Connection;
  const ring = new RingServer(page, notify, {
    message: (msg) => connection.handle(msg),
    reset: () => {
      connection.watches.length = 0;
      connection.transactions.clear();
    },
  });
  const send = tamper ? (m: Uint8Array) => tamper(m).forEach((t) => ring.send(t)) : (m: Uint8Array) => ring.send(m);
  connection = new Connection(store, { domid, privileged: domid === 0 }, send);
  store.introduceDomain(domid, connection);
  return {
    onEvent: () => ring.onEvent(),
    release: () => store.releaseDomain(domid),
    ring,
    connection,
  };
}
