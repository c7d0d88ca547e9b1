import { InvalidArgumentError, Option } from 'commander';

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
