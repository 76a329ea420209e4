// The domain's command line (start_info.cmd_line): how a unikernel gets its
// options and addresses, the same on Xen and on the simulator.
import { start_info } from "../xen/xen";

let line: string = "";

/** Reads the NUL-terminated command line; the host guarantees the terminator. */
export function initCmdline(startInfo: usize): void {
  const at = start_info.cmd_line(startInfo, 0);
  let len: i32 = 0;
  while (len < <i32>start_info.LENGTH_cmd_line && load<u8>(at + len) != 0) len++;
  line = String.UTF8.decodeUnsafe(at, len);
}

export function cmdline(): string {
  return line;
}

/** The value of `key=value` on the command line, "" for a bare `key`, null if absent. */
export function cmdlineArg(key: string): string | null {
  const words = line.split(" ");
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word == key) return "";
    if (word.startsWith(key + "=")) return word.slice(key.length + 1);
  }
  return null;
}
