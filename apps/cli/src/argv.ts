import { ValidationError } from '@geo/domain';

/** Parsed command line: words before the first flag, and `--name value` / `--name=value` flags. */
export interface ParsedArgs {
  readonly words: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

/**
 * Plain argv parsing (no dependency): `--flag value`, `--flag=value`, and bare `--flag` (true) when
 * the next token is another flag or absent. Repeated flags are a usage error, never silently merged.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (!token.startsWith('--')) {
      if (flags.size > 0) throw new ValidationError(`unexpected argument ${JSON.stringify(token)}`);
      words.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    if (name === '') throw new ValidationError(`malformed flag ${JSON.stringify(token)}`);
    if (flags.has(name)) throw new ValidationError(`--${name} given more than once`);
    if (eq !== -1) {
      flags.set(name, token.slice(eq + 1));
    } else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) {
      flags.set(name, argv[i + 1]!);
      i++;
    } else {
      flags.set(name, true);
    }
  }
  return { words, flags };
}

/** A flag that must carry a non-empty value. */
export function requireFlag(args: ParsedArgs, name: string): string {
  const value = args.flags.get(name);
  if (value === undefined) throw new ValidationError(`missing --${name}`);
  if (value === true || value === '') throw new ValidationError(`--${name} needs a value`);
  return value;
}

/** Rejects flags the command does not know (a typo must not be ignored). */
export function rejectUnknownFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw new ValidationError(`unknown flag --${name}`);
  }
}
