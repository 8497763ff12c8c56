/**
 * The bare primary of `npm run bench -- transfer-floor`: `GET /<key>` answers the file under the root
 * with Content-Length, piped from a read stream (what the primary's retrieve server does, minus
 * authentication and the record lookup). Prints `listening <port>` once ready.
 */
import { createReadStream, stat } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [root, port] = process.argv.slice(2);
if (root === undefined || port === undefined) throw new Error('usage: serve-files <root> <port>');

createServer((req, res) => {
  const path = join(root, decodeURIComponent((req.url ?? '/').slice(1)));
  stat(path, (error, stats) => {
    if (error !== null) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-length', stats.size);
    createReadStream(path, { highWaterMark: Math.max(1, Math.min(stats.size, 1024 * 1024)) }).pipe(res);
  });
}).listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
