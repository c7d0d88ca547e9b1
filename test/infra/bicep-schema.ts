import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type ParserModule from 'tree-sitter';
import { literal, resources, type BicepFile } from './bicep-checks.js';

/**
 * Checks resource bodies against the Azure resource type definitions that Bicep itself uses
 * (the `generated/<group>/<namespace>/<api-version>/types.json` files of a checkout of the
 * Azure/bicep-types-az repository): unknown property names, read-only properties that are set,
 * required properties that are missing (for resources created, not `existing`), and string
 * values outside a closed set of literals. Type data is read from the checkout at run time;
 * nothing of it is copied into this repository.
 */

type SyntaxNode = ParserModule.SyntaxNode;

interface TypeRef {
  readonly $ref: string;
}
interface PropertyDef {
  readonly type: TypeRef;
  readonly flags: number;
}
type TypeDef =
  | {
      readonly $type: 'ObjectType';
      readonly properties?: Record<string, PropertyDef>;
      readonly additionalProperties?: TypeRef;
    }
  | {
      readonly $type: 'DiscriminatedObjectType';
      readonly discriminator: string;
      readonly baseProperties?: Record<string, PropertyDef>;
      readonly elements: Record<string, TypeRef>;
    }
  | { readonly $type: 'ArrayType'; readonly itemType: TypeRef }
  | { readonly $type: 'StringLiteralType'; readonly value: string }
  | { readonly $type: 'UnionType'; readonly elements: readonly TypeRef[] }
  | { readonly $type: 'ResourceType'; readonly name: string; readonly body: TypeRef }
  | { readonly $type: string };

const REQUIRED = 1;
const READ_ONLY = 2;

export class TypeIndex {
  private readonly docs = new Map<string, TypeDef[] | null>();

  /** `dir` is a checkout of Azure/bicep-types-az (it has a `generated/` folder). */
  constructor(private readonly dir: string) {}

  static available(dir: string | undefined): dir is string {
    return !!dir && existsSync(join(dir, 'generated'));
  }

  /** The type document and body of `Namespace/type@version`, or undefined when not found. */
  resource(typeString: string): { doc: TypeDef[]; body: TypeDef } | undefined {
    const [type, version] = typeString.split('@');
    if (!type || !version) return undefined;
    const namespace = type.split('/')[0]?.toLowerCase() ?? '';
    for (const doc of this.documents(namespace, version)) {
      const r = doc.find(
        (t): t is Extract<TypeDef, { $type: 'ResourceType' }> =>
          t.$type === 'ResourceType' && 'name' in t && t.name.toLowerCase() === typeString.toLowerCase(),
      );
      if (r) return { doc, body: deref(doc, r.body) };
    }
    return undefined;
  }

  private documents(namespace: string, version: string): TypeDef[][] {
    const generated = join(this.dir, 'generated');
    const found: TypeDef[][] = [];
    for (const group of readdirSync(generated)) {
      const path = join(generated, group, namespace, version, 'types.json');
      if (!this.docs.has(path))
        this.docs.set(path, existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TypeDef[]) : null);
      const doc = this.docs.get(path);
      if (doc) found.push(doc);
    }
    return found;
  }
}

function deref(doc: TypeDef[], ref: TypeRef): TypeDef {
  const t = doc[Number(ref.$ref.replace('#/', ''))];
  if (!t) throw new Error(`bad type reference ${ref.$ref}`);
  return t;
}

function keyOf(p: SyntaxNode): string {
  const k = p.namedChildren[0];
  return (k?.type === 'string' ? literal(k) : k?.text) ?? '';
}

function literalSet(doc: TypeDef[], t: TypeDef, out = new Set<string>()): Set<string> {
  if (t.$type === 'StringLiteralType' && 'value' in t) out.add(t.value);
  else if (t.$type === 'UnionType' && 'elements' in t && Array.isArray(t.elements)) {
    for (const e of t.elements as TypeRef[]) literalSet(doc, deref(doc, e), out);
  } else out.add('*');
  return out;
}

export function schemaProblems(file: BicepFile, index: TypeIndex): string[] {
  const problems: string[] = [];
  const check = (
    doc: TypeDef[],
    t: TypeDef,
    value: SyntaxNode | undefined,
    where: string,
    creating: boolean,
    top: boolean,
  ): void => {
    let node = value;
    if (node?.type === 'if_statement') node = node.namedChildren.find((c) => c.type === 'object');
    if (node?.type === 'for_statement') node = node.namedChildren.filter((c) => c.type === 'object').at(-1);
    if (!node) return;
    if (t.$type === 'ObjectType' || t.$type === 'DiscriminatedObjectType') {
      if (node.type !== 'object') return;
      const given = node.namedChildren.filter((c) => c.type === 'object_property');
      let props: Record<string, PropertyDef>;
      if ('discriminator' in t) {
        const tag = literal(given.find((p) => keyOf(p) === t.discriminator)?.namedChildren[1]);
        const element = tag === undefined ? undefined : t.elements[tag];
        if (!element) {
          problems.push(
            `${where}.${t.discriminator}: '${tag}' is not one of ${Object.keys(t.elements).join(', ')}`,
          );
          return;
        }
        const el = deref(doc, element);
        props = { ...t.baseProperties, ...('properties' in el ? el.properties : {}) };
        delete props[t.discriminator];
      } else {
        props = { ...('properties' in t ? t.properties : {}) };
      }
      const names = new Set(given.map(keyOf));
      if (creating) {
        for (const [k, p] of Object.entries(props)) {
          if (p.flags & REQUIRED && !(p.flags & READ_ONLY) && !names.has(k))
            problems.push(`${where}: required property '${k}' is missing`);
        }
      }
      for (const p of given) {
        const key = keyOf(p);
        if ('discriminator' in t && key === t.discriminator) continue;
        if (top && ['parent', 'scope', 'dependsOn'].includes(key)) continue;
        const def = props[key];
        if (!def) {
          const extra = 'additionalProperties' in t ? t.additionalProperties : undefined;
          if (extra) check(doc, deref(doc, extra), p.namedChildren[1], `${where}.${key}`, creating, false);
          else problems.push(`${where}.${key}: unknown property`);
          continue;
        }
        if (def.flags & READ_ONLY) problems.push(`${where}.${key}: read-only property`);
        check(doc, deref(doc, def.type), p.namedChildren[1], `${where}.${key}`, creating, false);
      }
    } else if (t.$type === 'ArrayType' && 'itemType' in t) {
      if (node.type !== 'array') return;
      node.namedChildren.forEach((c, i) =>
        check(doc, deref(doc, t.itemType), c, `${where}[${i}]`, creating, false),
      );
    } else if (t.$type === 'StringLiteralType' || t.$type === 'UnionType') {
      const v = literal(node);
      const allowed = literalSet(doc, t);
      if (v !== undefined && !allowed.has('*') && !allowed.has(v)) {
        problems.push(`${where}: '${v}' is not one of ${[...allowed].join(', ')}`);
      }
    }
  };
  for (const r of resources(file)) {
    const where = `${file.path}:${r.node.startPosition.row + 1} ${r.symbol}`;
    const type = index.resource(r.typeString);
    if (!type) {
      problems.push(`${where}: no type data for ${r.typeString}`);
      continue;
    }
    const eq = r.node.children.findIndex((c) => c.type === '=');
    const value = r.node.children.slice(eq + 1).find((c) => c.isNamed);
    check(type.doc, type.body, value, where, !r.existing, true);
  }
  return problems;
}
