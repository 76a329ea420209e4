// Every campaign `npm run fuzz` knows, in the order it runs them.
import type { Target } from "../campaign.ts";
import { xenstoreClient } from "./xenstore-client.ts";
import { xenstored } from "./xenstored.ts";
import { consoleTarget } from "./console.ts";
import { blkfront } from "./blkfront.ts";
import { netfront, netParsers } from "./net.ts";

export const TARGETS: Target[] = [xenstoreClient, xenstored, consoleTarget, netParsers, netfront, blkfront];
