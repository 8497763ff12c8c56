import { isGeoError } from '@geo/domain';
import { parseArgs } from './argv';
import { ExitCodes, type CliIo, type Command } from './command';

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= words.length && prefix.every((w, i) => w === words[i]);
}

/** The command named exactly by `words`, else the longest one taking operands that `words` start with. */
function findCommand(commands: readonly Command[], words: readonly string[]): Command | undefined {
  const exact = commands.find((c) => c.words.length === words.length && startsWith(words, c.words));
  if (exact !== undefined) return exact;
  return commands
    .filter((c) => c.takesOperands === true && startsWith(words, c.words))
    .sort((a, b) => b.words.length - a.words.length)[0];
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
