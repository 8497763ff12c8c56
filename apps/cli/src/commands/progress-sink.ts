/** Where a long operation reports progress: a line that changes, then an end. */
export interface ProgressSink {
  update(line: string): void;
  /** Ends the progress display (a TTY's redrawn line gets its newline). */
  end(): void;
}

/** The part of a stream the sink needs (process.stderr fits). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

/**
 * On a TTY one line redrawn in place (carriage return, erase line); elsewhere (a log, a pipe) plain
 * lines, and only when the text changed, so a long wait does not flood the log.
 */
export function createProgressSink(stream: ProgressStream): ProgressSink {
  let last: string | undefined;
  let drawn = false;
  return {
    update(line) {
      if (line === last) return;
      last = line;
      if (stream.isTTY === true) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    end() {
      if (drawn) stream.write('\n');
      drawn = false;
      last = undefined;
    },
  };
}
