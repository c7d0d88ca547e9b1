import { InvalidArgumentError, Option } from 'commander';
import type { LeaseOwner } from '../errors.js';
import { describeOwner } from '../storage/index.js';

/** Shared option parsers and options, so every command spells them the same way. */
export const positiveInt =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    }
    return n;
  };

export const isoDate = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got '${value}'`);
  }
  return value;
};

export const lakeOption = (): Option => new Option('--lake <dir>', 'local lake directory').default('./lake');

export const configOption = (): Option =>
  new Option('--config <file>', 'analyses config (JSON); default: the built-in config').env('DP_CONFIG');

const seconds = (value: string): number => {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`--wait must be a number of seconds (0 or more), got '${value}'`);
  }
  return n;
};

/** `--wait <seconds>` of the commands that write the lake (they hold its lease). */
export const leaseWaitOption = (): Option =>
  new Option(
    '--wait <seconds>',
    'if another run holds the lake, wait up to this long for it (default 0: exit 4 at once)',
  )
    .env('DP_LEASE_WAIT')
    .argParser(seconds);

/** What a writer tells a person at a terminal when it has to wait for the lake. */
export function printLeaseWait(holder: LeaseOwner, waitMs: number): void {
  process.stderr.write(
    `dp-pipeline: the lake is in use by ${describeOwner(holder)}; waiting up to ${Math.ceil(waitMs / 1000)} s\n`,
  );
}
