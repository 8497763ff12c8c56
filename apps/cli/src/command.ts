import type { ParsedArgs } from './argv';

/** Where a command writes; injected so tests can capture output. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Process exit codes: 0 success, 1 the operation failed, 2 the command line was wrong. */
export const ExitCodes = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** One subcommand, addressed by its words (e.g. `['db', 'migrate']`). */
export interface Command {
  readonly words: readonly string[];
  /**
   * The command takes operands: words after its own (e.g. the registry id of `geo resync 5`);
   * `run` finds them in `args.words` after `words`.
   */
  readonly takesOperands?: boolean;
  /** One line for `geo --help`. */
  readonly summary: string;
  /** Full usage text printed on usage errors and `--help`. */
  readonly usage: string;
  /** Returns the exit code. Throws ValidationError for usage errors. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}
