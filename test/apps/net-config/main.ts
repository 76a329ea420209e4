// The stack's configuration from the command line, as an app sees it.
import { println } from "morgana/runtime";
import { formatIpv4, netConfigFromCmdline } from "morgana/net/config";

export function main(): i32 {
  const config = netConfigFromCmdline();
  println(`ip ${formatIpv4(config.ip)}/${config.prefix} netmask ${formatIpv4(config.netmask)} gw ${config.gateway ? formatIpv4(config.gateway) : "none"}`);
  return 0;
}
