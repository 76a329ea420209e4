// The xenstore client against the simulated xenstored: every operation, watches,
// transactions, permissions, quotas and the daemon's malformed replies. One line
// per check; test/xenstore-client.test.ts compares them and plays the other side.
import { println, sleep } from "morgana/runtime";
import {
  parseDecimal, xsDirectory, xsErrorName, xsGetDomainPath, xsGetPerms, xsMkdir, xsRead, xsResets, xsRm, xsSetPerms,
  xsStrayReplies, xsTransact, xsTransactionEnd, xsTransactionStart, XsTransactionBody, xsUnwatch, xsWatch,
  xsWrite,
} from "morgana/runtime/core/xenstore";
import { Recorder } from "../lib/recorder";

/** Increments data/counter; another domain changes it behind the first attempt's back. */
class Increment extends XsTransactionBody {
  attempts: i32 = 0;
  run(tx: u32): i32 {
    this.attempts++;
    const r = xsRead("data/counter", tx);
    if (!r.ok) return r.status;
    // Outside the transaction, so that the host sees it at once.
    const w = xsWrite("data/tx-attempt", this.attempts.toString());
    if (w) return w;
    return xsWrite("data/counter", (parseDecimal(r.value) + 1).toString(), tx);
  }
}

function say(what: string, status: i32): void {
  println(`${what}: ${xsErrorName(status)}`);
}

export function main(): i32 {
  // Reading what the toolstack wrote.
  println(`name: ${xsRead("name").value}`);
  println(`domain path: ${xsGetDomainPath(3).value}`);
  // Every operation.
  say("write", xsWrite("data/a/b", "hello"));
  println(`read: ${xsRead("data/a/b").value}`);
  say("mkdir", xsMkdir("data/a/c"));
  println(`directory: ${xsDirectory("data/a").list.join(",")}`);
  const me = xsRead("domid").value;
  say("set perms", xsSetPerms("data/a/b", [`n${me}`, "r0"]));
  say("give the node away", xsSetPerms("data/a/b", ["n0"]));
  println(`perms: ${xsGetPerms("data/a/b").list.join(",")}`);
  say("rm", xsRm("data/a"));
  say("read removed", xsRead("data/a/b").status);
  // A value that wraps around the 1 KiB ring each way (under the 2 KiB entry quota).
  say("write big", xsWrite("data/big", "0123456789".repeat(150)));
  const big = xsRead("data/big").value;
  println(`read big: ${big.length} ${big == "0123456789".repeat(150) ? "intact" : "corrupt"}`);
  say("request over XENSTORE_PAYLOAD_MAX", xsWrite("data/huge", "x".repeat(5000)));
  // Permissions and errors.
  say("read dom0's node", xsRead("/local/domain/0/name").status);
  say("write own name", xsWrite("name", "evil"));
  say("read missing", xsRead("data/nothing").status);
  say("invalid path", xsRead("data//x").status);
  // Watches: once on registration, then on change, children, removal.
  const rec = new Recorder();
  say("watch", xsWatch("data/w", rec));
  sleep(1_000_000);
  println(`watch fired: ${rec.take()}`);
  xsWrite("data/w/child", "1");
  xsRm("data/w");
  sleep(1_000_000);
  println(`watch events: ${rec.take()}`);
  say("ask host", xsWrite("data/ask-host", "1"));
  sleep(1_000_000);
  println(`host write seen: ${rec.take()} = ${xsRead("data/w/host").value}`);
  say("unwatch", xsUnwatch("data/w", rec));
  say("unwatch again", xsUnwatch("data/w", rec));
  // Transactions: isolation, abort, conflict and retry.
  const tx = xsTransactionStart();
  xsWrite("data/t", "in tx", <u32>tx);
  println(`outside tx: ${xsErrorName(xsRead("data/t").status)}, inside: ${xsRead("data/t", <u32>tx).value}`);
  say("abort", xsTransactionEnd(<u32>tx, false));
  say("after abort", xsRead("data/t").status);
  say("unknown transaction", xsRead("data/t", 999).status);
  // Domain 2 may change the counter; the host writes it as domain 2 during the transaction.
  xsWrite("data/counter", "10");
  xsSetPerms("data/counter", [`n${me}`, "b2"]);
  const inc = new Increment();
  say("transaction", xsTransact(inc));
  println(`attempts: ${inc.attempts}, counter: ${xsRead("data/counter").value}`);
  // Quota: the host sets a quota of five more entries.
  say("ask for quota", xsWrite("data/quota-start", "1"));
  let written = 0;
  let status: i32 = 0;
  while (written < 100) {
    status = xsWrite(`data/q${written}`, "");
    if (status) break;
    written++;
  }
  println(`quota: ${written} entries, then ${xsErrorName(status)}`);
  for (let i = 0; i < written; i++) xsRm(`data/q${i}`);
  // The host now sends malformed replies before the real ones.
  say("signal host", xsWrite("data/malformed", "go"));
  // A length no message can have: the stream is out of step, so the connection is reset and the read sent again.
  const again = xsRead("name");
  println(`reply with oversize length: ${again.ok ? again.value : xsErrorName(again.status)}, resets: ${xsResets()}`);
  println(`next request: ${xsRead("name").value}`);
  println(`stray replies before: ${xsStrayReplies()}`);
  println(`reply after a stray: ${xsRead("name").value}`);
  println(`stray replies after: ${xsStrayReplies()}`);
  say("reply of the wrong type", xsRead("name").status);
  println(`then: ${xsRead("name").value}`);
  say("error string unknown to xs_wire.h", xsRead("name").status);
  say("EQUOTA from an oxenstored", xsWrite("data/oxen", "1"));
  println(`last: ${xsRead("domid").value}`);
  return 0;
}
