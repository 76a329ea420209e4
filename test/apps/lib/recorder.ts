// A watch handler for test apps: records the paths it is told of.
import { XsWatchHandler } from "morgana/runtime/core/xenstore";

export class Recorder extends XsWatchHandler {
  seen: Array<string> = new Array<string>();
  onWatch(path: string): void {
    this.seen.push(path);
  }
  /** The paths seen since the last take, comma-separated. */
  take(): string {
    const s = this.seen.join(",");
    this.seen = new Array<string>();
    return s;
  }
}
