import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBicep } from './bicep-checks.js';
import { TypeIndex, schemaProblems } from './bicep-schema.js';

// Optional: needs a checkout of Azure/bicep-types-az (the type data Bicep compiles against),
// given as BICEP_TYPES_AZ=<dir>. Without it these tests are skipped: the data is not shipped here.
const typesDir = process.env.BICEP_TYPES_AZ;
const infraDir = join(dirname(fileURLToPath(import.meta.url)), '../../infra');
const paths = ['main.bicep', ...readdirSync(join(infraDir, 'modules')).map((f) => `modules/${f}`)];

describe.skipIf(!TypeIndex.available(typesDir))(
  'infra Bicep against the Azure resource type definitions',
  () => {
    const index = new TypeIndex(typesDir ?? '');

    it.each(paths)(
      '%s sets only known, writable properties, every required one, and valid literals',
      (path) => {
        const file = parseBicep(readFileSync(join(infraDir, path), 'utf8'), path);
        expect(schemaProblems(file, index)).toEqual([]);
      },
    );

    it('fails on a misspelt, a read-only and a missing required property, and a bad discriminator', () => {
      const bad = parseBicep(
        [
          "resource sa 'Microsoft.Storage/storageAccounts@2025-01-01' = {",
          "  name: 'x'",
          "  location: 'westeurope'",
          '  properties: {',
          '    allowSharedKeyAcess: false',
          '    primaryEndpoints: {}',
          '  }',
          '}',
          "resource sub 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {",
          "  name: 'x/y'",
          '  properties: {',
          '    destination: {',
          "      endpointType: 'Carrier pigeon'",
          '    }',
          '  }',
          '}',
          "resource nope 'Microsoft.Nothing/things@2025-01-01' = { name: 'z' }",
        ].join('\n'),
        'bad.bicep',
      );
      const problems = schemaProblems(bad, index).join('\n');
      expect(problems).toMatch(/sa\.properties\.allowSharedKeyAcess: unknown property/);
      expect(problems).toMatch(/sa\.properties\.primaryEndpoints: read-only property/);
      expect(problems).toMatch(/sa: required property 'sku' is missing/);
      expect(problems).toMatch(/sub\.properties\.destination\.endpointType: 'Carrier pigeon' is not one of/);
      expect(problems).toMatch(/nope: no type data for Microsoft\.Nothing\/things@2025-01-01/);
    });
  },
);
