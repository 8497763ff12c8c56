import { parseArgs, rejectUnknownFlags, requireFlag } from './argv';

describe('parseArgs', () => {
  it('splits command words from --flag value and --flag=value', () => {
    const args = parseArgs(['db', 'migrate', '--role', 'primary', '--database-url=postgres://h/db?x=1']);
    expect(args.words).toEqual(['db', 'migrate']);
    expect(Object.fromEntries(args.flags)).toEqual({ role: 'primary', 'database-url': 'postgres://h/db?x=1' });
  });

  it('treats a flag followed by another flag (or nothing) as boolean', () => {
    expect(Object.fromEntries(parseArgs(['--help', '--x']).flags)).toEqual({ help: true, x: true });
  });

  it.each([
    [['--role', 'a', '--role', 'b'], '--role given more than once'],
    [['--', 'x'], 'malformed flag'],
    [['--role', 'a', 'stray'], 'unexpected argument "stray"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('requireFlag / rejectUnknownFlags', () => {
  it('requires a non-empty value', () => {
    expect(requireFlag(parseArgs(['--a', 'v']), 'a')).toBe('v');
    expect(() => requireFlag(parseArgs([]), 'a')).toThrow('missing --a');
    expect(() => requireFlag(parseArgs(['--a']), 'a')).toThrow('--a needs a value');
    expect(() => requireFlag(parseArgs(['--a=']), 'a')).toThrow('--a needs a value');
  });

  it('rejects flags the command does not know', () => {
    expect(() => rejectUnknownFlags(parseArgs(['--rol', 'x']), ['role'])).toThrow('unknown flag --rol');
  });
});
