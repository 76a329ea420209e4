/** An error the user can act on: printed as one line, never as a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly status = 1) {
    super(message);
  }
}
