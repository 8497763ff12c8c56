import { isGeoError } from '@geo/domain';
import { parseArgs } from './argv';
import { ExitCodes, type CliIo, type Command } from './command';

function findCommand(commands: readonly Command[], words: readonly string[]): Command | undefined {
  return commands.find((c) => c.words.length === words.length && c.words.every((w, i) => w === words[i]));
}

function overview(commands: readonly Command[]): string {
  return ['usage: geo <command> [flags]', '', 'commands:', ...commands.map((c) => `  ${c.words.join(' ').padEnd(14)} ${c.summary}`)].join('\n');
}

/** Runs one CLI invocation and returns the process exit code (never calls process.exit). */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: CliIo): Promise<number> {
  let command: Command | undefined;
  try {
    const args = parseArgs(argv);
    if (args.words.length === 0) {
      (args.flags.has('help') ? io.out : io.err)(overview(commands));
      return args.flags.has('help') ? ExitCodes.OK : ExitCodes.USAGE;
    }
    command = findCommand(commands, args.words);
    if (command === undefined) {
      io.err(`geo: unknown command "${args.words.join(' ')}"\n\n${overview(commands)}`);
      return ExitCodes.USAGE;
    }
    if (args.flags.has('help')) {
      io.out(`usage: ${command.usage}`);
      return ExitCodes.OK;
    }
    return await command.run(args, io);
  } catch (error) {
    if (isGeoError(error) && error.name === 'ValidationError') {
      io.err(`geo: ${error.message}${command === undefined ? '' : `\nusage: ${command.usage}`}`);
      return ExitCodes.USAGE;
    }
    const code = isGeoError(error) ? ` [${error.code}]` : '';
    io.err(`geo: ${error instanceof Error ? error.message : String(error)}${code}`);
    return ExitCodes.FAILURE;
  }
}
