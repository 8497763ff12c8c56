import { ErrorCodes, UnavailableError } from '@geo/domain';
import { rejectUnknownFlags, requireFlag } from './argv';
import { runCli } from './cli';
import type { Command } from './command';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const echo: Command = {
  words: ['say', 'hi'],
  summary: 'test command',
  usage: 'geo say hi --name NAME',
  async run(args, io) {
    rejectUnknownFlags(args, ['name']);
    const name = requireFlag(args, 'name');
    if (name === 'down') throw new UnavailableError('db down');
    io.out(`hi ${name}`);
    return 0;
  },
};

describe('runCli', () => {
  it('dispatches on the command words', async () => {
    const c = capture();
    expect(await runCli(['say', 'hi', '--name', 'geo'], [echo], c.io)).toBe(0);
    expect(c.out).toEqual(['hi geo']);
  });

  it('exits 2 with the usage on a usage error', async () => {
    const c = capture();
    expect(await runCli(['say', 'hi'], [echo], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('missing --name');
    expect(c.err.join('\n')).toContain('usage: geo say hi --name NAME');
  });

  it('exits 2 for an unknown command or no command, listing the commands', async () => {
    for (const argv of [['nope'], []]) {
      const c = capture();
      expect(await runCli(argv, [echo], c.io)).toBe(2);
      expect(c.err.join('\n')).toContain('say hi');
    }
  });

  it('exits 1 with the error code when the operation fails', async () => {
    const c = capture();
    expect(await runCli(['say', 'hi', '--name', 'down'], [echo], c.io)).toBe(1);
    expect(c.err).toEqual([`geo: db down [${ErrorCodes.UNAVAILABLE}]`]);
  });

  it('passes the words after a command that takes operands to it; others stay unknown', async () => {
    const seen: string[][] = [];
    const withOperand: Command = { words: ['say'], takesOperands: true, summary: 's', usage: 'geo say WORD', run: async (args) => (seen.push([...args.words]), 0) };
    const c = capture();
    expect(await runCli(['say', 'hi', '--name', 'geo'], [echo, withOperand], c.io)).toBe(0);
    expect(c.out).toEqual(['hi geo']);
    expect(await runCli(['say', 'there'], [echo, withOperand], c.io)).toBe(0);
    expect(seen).toEqual([['say', 'there']]);
    expect(await runCli(['nope', 'there'], [echo, withOperand], c.io)).toBe(2);
  });

  it('prints help with exit 0', async () => {
    const c = capture();
    expect(await runCli(['say', 'hi', '--help'], [echo], c.io)).toBe(0);
    expect(c.out).toEqual(['usage: geo say hi --name NAME']);
  });
});
