import { runCli } from './cli';
import { COMMANDS } from './commands';

// Entry point of `geo` (tools/bin/geo runs this file with tsx). process.exitCode, not exit(), so
// pending output is flushed.
void runCli(process.argv.slice(2), COMMANDS, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then((code) => {
  process.exitCode = code;
});
