import { once } from 'node:events';
import type { Connection, PoolClient, Submittable } from 'pg';

/** The methods node-postgres' Connection has for COPY but its type definitions omit. */
interface CopyInConnection {
  readonly stream: NodeJS.WritableStream & { readonly writableNeedDrain: boolean };
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * `COPY … FROM STDIN` through node-postgres, which has no COPY API of its own (pg-copy-streams is not
 * a dependency of this repository): a Submittable that answers the server's CopyInResponse by
 * streaming `chunks` (waiting for the socket to drain, so memory stays flat for millions of rows),
 * then CopyDone. A chunk source that throws aborts the COPY with CopyFail.
 */
class CopyIn implements Submittable {
  readonly done: Promise<number>;
  private resolve: (rows: number) => void = () => undefined;
  private reject: (error: Error) => void = () => undefined;
  private rows = 0;
  private failed = false;

  constructor(
    private readonly text: string,
    private readonly chunks: Iterable<Buffer>,
  ) {
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    void this.send(connection as unknown as CopyInConnection); // see CopyInConnection
  }

  private async send(connection: CopyInConnection): Promise<void> {
    try {
      for (const chunk of this.chunks) {
        if (this.failed) return;
        connection.sendCopyFromChunk(chunk);
        if (connection.stream.writableNeedDrain) await once(connection.stream, 'drain');
      }
      connection.endCopyFrom();
    } catch (error) {
      // The server answers CopyFail with an error, which rejects `done` through handleError.
      connection.sendCopyFail(error instanceof Error ? error.message : String(error));
    }
  }

  handleCommandComplete(message: { text: string }): void {
    this.rows = Number(/(\d+)$/.exec(message.text)?.[1] ?? 0);
  }

  handleReadyForQuery(): void {
    this.resolve(this.rows);
  }

  handleError(error: Error): void {
    this.failed = true;
    this.reject(error);
  }

  // Messages a COPY FROM never receives, dispatched by the client only for other statements.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `sql` (a `COPY … FROM STDIN` in text format) on `client`, streaming `chunks`; resolves with the row count. */
export async function copyIn(client: PoolClient, sql: string, chunks: Iterable<Buffer>): Promise<number> {
  const copy = new CopyIn(sql, chunks);
  client.query(copy);
  return copy.done;
}
