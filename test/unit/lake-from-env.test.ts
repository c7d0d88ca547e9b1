import { describe, expect, it } from 'vitest';
import { openLake } from '../../src/cli/lake.js';
import { UserError } from '../../src/errors.js';
import { AzureLake } from '../../src/storage/azure/index.js';
import { FsLake } from '../../src/storage/index.js';

const AZURITE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

describe('openLake from the environment', () => {
  it('uses the local --lake when no storage is configured', () => {
    const lake = openLake({ lake: '/tmp/some-lake' }, {});
    expect(lake).toBeInstanceOf(FsLake);
    expect(lake.describe()).toBe('/tmp/some-lake');
  });

  it('prefers the connection string, then the account name with managed identity', () => {
    const dev = openLake(
      { lake: './lake' },
      { DP_STORAGE_CONNECTION_STRING: AZURITE, DP_STORAGE_ACCOUNT: 'other' },
    );
    expect(dev).toBeInstanceOf(AzureLake);
    expect(dev.locate('gold')).toBe('http://127.0.0.1:10000/devstoreaccount1/gold');
    const prod = openLake({ lake: './lake' }, { DP_STORAGE_ACCOUNT: 'dpstore01' });
    expect(prod.locate('bronze')).toBe('https://dpstore01.blob.core.windows.net/bronze');
  });

  it('rejects settings that cannot be right with a one-line hint', () => {
    expect(() =>
      openLake({ lake: './lake' }, { DP_STORAGE_ACCOUNT: 'https://dpstore01.blob.core.windows.net' }),
    ).toThrow(/DP_STORAGE_ACCOUNT 'https:\/\/dpstore01.blob.core.windows.net' is not a storage account name/);
    expect(() => openLake({ lake: './lake' }, { DP_STORAGE_CONNECTION_STRING: 'hello' })).toThrow(UserError);
  });
});
