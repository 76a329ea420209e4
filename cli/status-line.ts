// The core ends every run with the console line `morgana: exit N`: the CLI
// turns it into its own exit status instead of printing it.

const STATUS = /^morgana: exit (-?\d+)$/;

/** Passes console text through line by line, holding back the status line. */
export class StatusLineFilter {
  status: number | undefined;
  private partial = "";

  constructor(private readonly write: (text: string) => void) {}

  feed(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const m = STATUS.exec(line);
      if (m) this.status = Number(m[1]);
      else this.write(line + "\n");
    }
  }

  /** Whatever was left without a newline. */
  end(): void {
    if (this.partial) this.write(this.partial);
    this.partial = "";
  }
}
