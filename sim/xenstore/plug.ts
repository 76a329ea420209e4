// Plugs the simulated xenstored into a Simulator: every domU gets the layout
// `xl` writes for it, then its ring is served (@introduceDomain fires); when the
// domain ends its layout is removed and it is released (@releaseDomain fires).
import type { Simulator } from "../simulator.ts";
import { type Tamper, type XenstoreAttachment, attachXenstore } from "./attach.ts";
import { Store } from "./store.ts";
import { Toolstack } from "./toolstack.ts";

export interface PluggedXenstore {
  store: Store;
  toolstack: Toolstack;
  /** Each domU's attachment, by domid, while it runs. */
  attachments: Map<number, XenstoreAttachment>;
}

/** A stable UUID per domid, so runs repeat exactly. */
export function domainUuid(domid: number): string {
  return `00000000-0000-4000-8000-${domid.toString(16).padStart(12, "0")}`;
}

export function plugXenstore(
  sim: Simulator, store: Store = new Store(), tamper?: (domid: number) => Tamper | undefined,
): PluggedXenstore {
  const toolstack = new Toolstack(store);
  const attachments = new Map<number, XenstoreAttachment>();
  toolstack.initDom0();
  sim.onStorePage((host) => {
    const d = sim.domain(host.domid);
    if (!d?.storePage) throw new Error(`xenstore: domain ${host.domid} has no store page`);
    toolstack.createDomain({
      domid: host.domid, name: host.name, uuid: domainUuid(host.domid), maxMemKiB: d.nrPages * 4, vcpus: 1,
      storeMfn: BigInt(d.storePage.mfn), storePort: d.storePort,
      console: d.consolePage ? { mfn: BigInt(d.consolePage.mfn), port: d.consolePort } : undefined,
    });
    const attachment = attachXenstore(store, host.domid, host.page, host.notify, tamper?.(host.domid));
    attachments.set(host.domid, attachment);
    return {
      onEvent: () => attachment.onEvent(),
      // As `xl destroy`: the toolstack removes the domain's nodes, then xenstored sees it gone.
      release: () => {
        attachments.delete(host.domid);
        toolstack.destroyDomain(host.domid, domainUuid(host.domid));
        attachment.release();
      },
    };
  });
  return { store, toolstack, attachments };
}
