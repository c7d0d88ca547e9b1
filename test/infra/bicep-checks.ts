import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type ParserModule from 'tree-sitter';

/**
 * Offline checks of our Bicep: no bicep CLI can be installed here, so every file is parsed
 * with the tree-sitter Bicep grammar and checked in code over its syntax tree. Each check
 * returns a list of problems (empty: the check passes), so tests can also feed it a small bad
 * file and see it fail.
 */

type SyntaxNode = ParserModule.SyntaxNode;

const require = createRequire(import.meta.url);
const Parser = require('tree-sitter') as typeof ParserModule;
const bicepLanguage = require('tree-sitter-bicep') as ParserModule.Language;

export interface BicepFile {
  /** Path relative to the infra directory, posix separators (`modules/storage.bicep`). */
  readonly path: string;
  readonly root: SyntaxNode;
}

export interface ParamDecl {
  readonly name: string;
  readonly hasDefault: boolean;
  readonly secure: boolean;
  readonly node: SyntaxNode;
}

export interface ResourceDecl {
  readonly symbol: string;
  /** The full type string, e.g. `Microsoft.Storage/storageAccounts@2025-01-01`. */
  readonly typeString: string;
  /** The type without the API version. */
  readonly type: string;
  readonly existing: boolean;
  /** The body object (inside `if (…)` for conditional resources). */
  readonly body: SyntaxNode | undefined;
  readonly node: SyntaxNode;
}

export function parseBicep(source: string, path = 'inline.bicep'): BicepFile {
  const parser = new Parser();
  parser.setLanguage(bicepLanguage);
  // The binding reads a string input in chunks; give it room for a whole file at once.
  const tree = parser.parse(source, undefined, { bufferSize: Math.max(32 * 1024, source.length * 4 + 1) });
  return { path, root: tree.rootNode };
}

function descendants(node: SyntaxNode, type: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const walk = (n: SyntaxNode): void => {
    if (n.type === type) found.push(n);
    for (const c of n.namedChildren) walk(c);
  };
  walk(node);
  return found;
}

function where(file: BicepFile, node: SyntaxNode): string {
  return `${file.path}:${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
}

/** The value of a string literal without interpolation, else undefined. */
export function literal(node: SyntaxNode | null | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  let out = '';
  for (const c of node.namedChildren) {
    if (c.type === 'string_content') out += c.text;
    else if (c.type === 'escape_sequence') out += c.text.slice(1);
    else return undefined;
  }
  return out;
}

function firstIdentifier(node: SyntaxNode): string {
  return node.namedChildren.find((c) => c.type === 'identifier')?.text ?? '';
}

/** Decorator names (`secure`, `description`, …) written before a top-level declaration. */
function decoratorsOf(node: SyntaxNode): string[] {
  const prev = node.previousNamedSibling;
  if (!prev || prev.type !== 'decorators') return [];
  return descendants(prev, 'decorator').map((d) => {
    const call = d.namedChildren[0];
    const callee = call?.type === 'call_expression' ? call.namedChildren[0] : call;
    return (callee?.text ?? '').replace(/^sys\./, '');
  });
}

/** The value expression of a declaration: what follows its `=`. */
function valueOf(decl: SyntaxNode): SyntaxNode | undefined {
  const eq = decl.children.findIndex((c) => c.type === '=');
  return eq < 0 ? undefined : (decl.children.slice(eq + 1).find((c) => c.isNamed) ?? undefined);
}

function bodyOf(decl: SyntaxNode): SyntaxNode | undefined {
  const value = valueOf(decl);
  if (!value) return undefined;
  if (value.type === 'object') return value;
  if (value.type === 'if_statement') return value.namedChildren.find((c) => c.type === 'object');
  if (value.type === 'for_statement') return descendants(value, 'object')[0];
  return undefined;
}

/** The value of `key` in an object literal. */
export function property(object: SyntaxNode | undefined, key: string): SyntaxNode | undefined {
  if (!object) return undefined;
  for (const p of object.namedChildren) {
    if (p.type !== 'object_property') continue;
    const k = p.namedChildren[0];
    if (!k) continue;
    const name = k.type === 'string' ? literal(k) : k.text;
    if (name === key) return p.namedChildren[1];
  }
  return undefined;
}

/** `property(property(o, 'a'), 'b')…` along a dotted path. */
export function propertyPath(object: SyntaxNode | undefined, path: string): SyntaxNode | undefined {
  let node = object;
  for (const key of path.split('.')) node = property(node, key);
  return node;
}

export function params(file: BicepFile): ParamDecl[] {
  return file.root.namedChildren
    .filter((n) => n.type === 'parameter_declaration')
    .map((node) => ({
      name: firstIdentifier(node),
      hasDefault: node.children.some((c) => c.type === '='),
      secure: decoratorsOf(node).includes('secure'),
      node,
    }));
}

export function variables(file: BicepFile): Map<string, SyntaxNode> {
  const vars = new Map<string, SyntaxNode>();
  for (const n of file.root.namedChildren) {
    if (n.type !== 'variable_declaration') continue;
    const value = valueOf(n);
    if (value) vars.set(firstIdentifier(n), value);
  }
  return vars;
}

export function resources(file: BicepFile): ResourceDecl[] {
  return descendants(file.root, 'resource_declaration').map((node) => {
    const typeString = literal(node.namedChildren.find((c) => c.type === 'string')) ?? '';
    return {
      symbol: firstIdentifier(node),
      typeString,
      type: typeString.split('@')[0] ?? '',
      existing: node.children.some((c) => c.type === 'existing'),
      body: bodyOf(node),
      node,
    };
  });
}

/** 1. The grammar accepts the file: no ERROR or MISSING nodes. */
export function syntaxProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  const walk = (n: SyntaxNode): void => {
    if (n.type === 'ERROR' || n.isMissing) {
      const what = n.isMissing
        ? `missing ${n.type}`
        : `syntax error near ${JSON.stringify(n.text.slice(0, 40))}`;
      problems.push(`${where(file, n)}: ${what}`);
      return;
    }
    for (const c of n.children) walk(c);
  };
  walk(file.root);
  if (problems.length === 0 && file.root.hasError) problems.push(`${file.path}: the parser reports an error`);
  return problems;
}

/** Identifier nodes that refer to a symbol (not object keys, not the declared names). */
function references(node: SyntaxNode): SyntaxNode[] {
  return descendants(node, 'identifier').filter((id) => {
    const parent = id.parent;
    if (!parent) return false;
    if (parent.type === 'object_property' && parent.namedChildren[0]?.id === id.id) return false;
    const declaring = [
      'parameter_declaration',
      'variable_declaration',
      'resource_declaration',
      'module_declaration',
      'output_declaration',
    ];
    if (
      declaring.includes(parent.type) &&
      parent.namedChildren.find((c) => c.type === 'identifier')?.id === id.id
    ) {
      return false;
    }
    return true;
  });
}

/** 2. Every declared parameter is used somewhere in its file. */
export function unusedParams(file: BicepFile): string[] {
  const used = new Set(references(file.root).map((id) => id.text));
  return params(file)
    .filter((p) => !used.has(p.name))
    .map((p) => `${where(file, p.node)}: parameter '${p.name}' is declared but never used`);
}

const API_VERSION = /^[A-Za-z][\w.]*\/[\w./]+@(\d{4})-\d{2}-\d{2}(-[a-z]+)?$/;

/** 3. Every resource type names an explicit, GA (not preview), 2020-or-later API version. */
export function apiVersionProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  for (const r of resources(file)) {
    const m = API_VERSION.exec(r.typeString);
    if (!m) {
      problems.push(
        `${where(file, r.node)}: resource '${r.symbol}' type '${r.typeString}' has no explicit @api-version`,
      );
    } else if (m[2]) {
      problems.push(
        `${where(file, r.node)}: resource '${r.symbol}' uses a non-GA API version (${r.typeString})`,
      );
    } else if (Number(m[1]) < 2020) {
      problems.push(
        `${where(file, r.node)}: resource '${r.symbol}' uses an API version older than 2020 (${r.typeString})`,
      );
    }
  }
  return problems;
}

const SECRET_PROPERTY =
  /connectionstring|instrumentationkey|sharedkey|accountkey|accesskey|secretvalue|password|^value$/i;
const SECRET_NAME = /password|connectionstring|accesskey|sharedkey|apikey|secretvalue|pseudonymkey/i;
const SECRET_TEXT = /AccountKey=|SharedAccessSignature=|[?&]sig=/i;

/**
 * 4. No output exposes a secret: no output is `@secure()`, named like a secret, or derived
 * (directly or through variables) from a `@secure()` parameter, a `list*()` call (listKeys,
 * listSecrets, …), a connection-string/key/password/secret-value property, or a literal
 * carrying an account key or SAS signature.
 */
export function secretOutputProblems(file: BicepFile): string[] {
  const secureParams = new Set(
    params(file)
      .filter((p) => p.secure)
      .map((p) => p.name),
  );
  const vars = variables(file);
  const reasons = (expr: SyntaxNode, seen: Set<string>): string[] => {
    const found: string[] = [];
    for (const id of references(expr)) {
      if (secureParams.has(id.text)) found.push(`the secure parameter '${id.text}'`);
      const v = vars.get(id.text);
      if (v && !seen.has(id.text)) found.push(...reasons(v, new Set([...seen, id.text])));
    }
    for (const call of descendants(expr, 'call_expression')) {
      const callee = call.namedChildren[0];
      const fn = callee?.type === 'member_expression' ? callee.namedChildren.at(-1)?.text : callee?.text;
      if (fn && /^list/i.test(fn)) found.push(`a ${fn}() call`);
    }
    for (const p of descendants(expr, 'property_identifier')) {
      if (SECRET_PROPERTY.test(p.text)) found.push(`the property '${p.text}'`);
    }
    for (const s of descendants(expr, 'string_content')) {
      if (SECRET_TEXT.test(s.text)) found.push('a literal carrying a key or signature');
    }
    return found;
  };
  const problems: string[] = [];
  for (const out of file.root.namedChildren.filter((n) => n.type === 'output_declaration')) {
    const name = firstIdentifier(out);
    const found: string[] = [];
    if (decoratorsOf(out).includes('secure')) found.push('a @secure() decorator');
    if (SECRET_NAME.test(name)) found.push('a secret-like name');
    const value = valueOf(out);
    if (value) found.push(...reasons(value, new Set()));
    if (found.length > 0) {
      problems.push(
        `${where(file, out)}: output '${name}' may expose a secret (${[...new Set(found)].join(', ')})`,
      );
    }
  }
  return problems;
}

interface ModuleRef {
  readonly file: BicepFile;
  readonly symbol: string;
  readonly target: string;
  readonly body: SyntaxNode | undefined;
  readonly node: SyntaxNode;
}

function moduleRefs(file: BicepFile): ModuleRef[] {
  return descendants(file.root, 'module_declaration').map((node) => {
    const target = literal(node.namedChildren.find((c) => c.type === 'string')) ?? '';
    return {
      file,
      symbol: firstIdentifier(node),
      target: posix.normalize(posix.join(posix.dirname(file.path), target)),
      body: bodyOf(node),
      node,
    };
  });
}

/**
 * 5. Modules: every module path exists, every module file is referenced (from main.bicep or
 * another module), the params passed match the module's declared params (none unknown, every
 * required one given), and every `<module>.outputs.<name>` used is an output of that module.
 */
export function moduleProblems(files: readonly BicepFile[], entry = 'main.bicep'): string[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const problems: string[] = [];
  const referenced = new Set<string>([entry]);
  for (const file of files) {
    const refs = moduleRefs(file);
    const bySymbol = new Map(refs.map((r) => [r.symbol, r]));
    for (const ref of refs) {
      const target = byPath.get(ref.target);
      if (!target) {
        problems.push(
          `${where(file, ref.node)}: module '${ref.symbol}' points at '${ref.target}', which does not exist`,
        );
        continue;
      }
      referenced.add(ref.target);
      const declared = new Map(params(target).map((p) => [p.name, p]));
      const passedNode = property(ref.body, 'params');
      const passed = new Set(
        (passedNode?.namedChildren ?? [])
          .filter((p) => p.type === 'object_property')
          .map((p) => p.namedChildren[0]?.text ?? ''),
      );
      for (const name of passed) {
        if (!declared.has(name)) {
          problems.push(
            `${where(file, ref.node)}: module '${ref.symbol}' passes '${name}', not a param of ${ref.target}`,
          );
        }
      }
      for (const p of declared.values()) {
        if (!p.hasDefault && !passed.has(p.name)) {
          problems.push(
            `${where(file, ref.node)}: module '${ref.symbol}' does not pass the required param '${p.name}'`,
          );
        }
      }
    }
    for (const m of descendants(file.root, 'member_expression')) {
      // <symbol>.outputs.<name>
      const inner = m.namedChildren[0];
      const name = m.namedChildren[1];
      if (inner?.type !== 'member_expression' || name?.type !== 'property_identifier') continue;
      const [sym, outputs] = inner.namedChildren;
      if (outputs?.text !== 'outputs' || !sym) continue;
      const ref = bySymbol.get(sym.text);
      const target = ref && byPath.get(ref.target);
      if (!target) continue;
      const outs = target.root.namedChildren
        .filter((n) => n.type === 'output_declaration')
        .map(firstIdentifier);
      if (!outs.includes(name.text)) {
        problems.push(`${where(file, m)}: '${m.text}' is not an output of ${ref.target}`);
      }
    }
  }
  for (const f of files) {
    if (!referenced.has(f.path))
      problems.push(`${f.path}: module file is not referenced from ${entry} or another module`);
  }
  return problems;
}

/**
 * 6. The parameters file matches main.bicep: every required non-secure param is in it, every
 * param in it is declared, and no secure param is given a literal value there (pass it on the
 * command line or as a Key Vault reference).
 */
export function parameterFileProblems(
  main: BicepFile,
  parametersJson: string,
  fileName = 'main.parameters.json',
): string[] {
  const doc = JSON.parse(parametersJson) as {
    parameters?: Record<string, { value?: unknown; reference?: unknown }>;
  };
  const given = doc.parameters ?? {};
  const declared = new Map(params(main).map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const p of declared.values()) {
    if (!p.hasDefault && !p.secure && !(p.name in given)) {
      problems.push(`${fileName}: the required parameter '${p.name}' of ${main.path} is missing`);
    }
  }
  for (const [name, entry] of Object.entries(given)) {
    const p = declared.get(name);
    if (!p) problems.push(`${fileName}: '${name}' is not a parameter of ${main.path}`);
    else if (p.secure && entry.value !== undefined) {
      problems.push(`${fileName}: the secure parameter '${name}' must not have a literal value in the file`);
    }
  }
  return problems;
}

export interface RoleAssignment {
  readonly file: string;
  readonly symbol: string;
  /** The role definition GUID, when it resolves to a literal. */
  readonly roleId: string | undefined;
  /** Type (without API version) and literal name of the resource the assignment is scoped to. */
  readonly scopeSymbol: string | undefined;
  readonly scopeType: string | undefined;
  readonly scopeName: string | undefined;
  readonly principalType: string | undefined;
  readonly nameIsGuid: boolean;
  readonly node: SyntaxNode;
}

/** Resolves a string literal, a variable holding one, or `<var>.<key>` of an object variable. */
function resolveString(expr: SyntaxNode | undefined, vars: Map<string, SyntaxNode>): string | undefined {
  if (!expr) return undefined;
  if (expr.type === 'string') return literal(expr);
  if (expr.type === 'identifier') return resolveString(vars.get(expr.text), vars);
  if (expr.type === 'member_expression') {
    const [obj, key] = expr.namedChildren;
    if (obj?.type === 'identifier' && key) return resolveString(property(vars.get(obj.text), key.text), vars);
  }
  return undefined;
}

export function roleAssignments(file: BicepFile): RoleAssignment[] {
  const vars = variables(file);
  const all = resources(file);
  return all
    .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing)
    .map((r) => {
      const roleDef = propertyPath(r.body, 'properties.roleDefinitionId');
      let roleId: string | undefined;
      if (
        roleDef?.type === 'call_expression' &&
        roleDef.namedChildren[0]?.text === 'subscriptionResourceId'
      ) {
        const args = roleDef.namedChildren[1]?.namedChildren ?? [];
        if (literal(args[0]) === 'Microsoft.Authorization/roleDefinitions')
          roleId = resolveString(args[1], vars);
      }
      const scope = property(r.body, 'scope');
      const scoped = scope?.type === 'identifier' ? all.find((x) => x.symbol === scope.text) : undefined;
      const name = property(r.body, 'name');
      const principalType = propertyPath(r.body, 'properties.principalType');
      return {
        file: file.path,
        symbol: r.symbol,
        roleId,
        scopeSymbol: scoped?.symbol,
        scopeType: scoped?.type,
        scopeName: scoped ? literal(property(scoped.body, 'name')) : undefined,
        principalType: principalType ? (literal(principalType) ?? principalType.text) : undefined,
        nameIsGuid: name?.type === 'call_expression' && name.namedChildren[0]?.text === 'guid',
        node: r.node,
      };
    });
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * 7. Role assignments: each is named by guid(), has an explicit principalType, is scoped to a
 * resource of the file, and its role definition resolves to a documented built-in role; every
 * GUID literal in the file is such a role.
 */
export function roleProblems(file: BicepFile, builtInRoles: Readonly<Record<string, string>>): string[] {
  const known = new Set(Object.values(builtInRoles).map((g) => g.toLowerCase()));
  const problems: string[] = [];
  for (const a of roleAssignments(file)) {
    const at = `${where(file, a.node)}: role assignment '${a.symbol}'`;
    if (!a.nameIsGuid) problems.push(`${at} is not named by guid()`);
    if (!a.principalType) problems.push(`${at} has no principalType`);
    if (!a.scopeType) problems.push(`${at} is not scoped to a resource declared in the file`);
    if (!a.roleId) problems.push(`${at} has a role definition that does not resolve to a literal GUID`);
    else if (!known.has(a.roleId.toLowerCase()))
      problems.push(`${at} uses the unknown role definition ${a.roleId}`);
  }
  for (const s of descendants(file.root, 'string')) {
    const v = literal(s);
    if (v && GUID.test(v) && !known.has(v.toLowerCase())) {
      problems.push(`${where(file, s)}: GUID ${v} is not a documented built-in role`);
    }
  }
  return problems;
}

/**
 * 8. Every storage account created (not `existing`) is identity-only and encrypted in
 * transit: no shared-key access, HTTPS only, TLS 1.2, no anonymous blob access.
 */
export function storageHardeningProblems(file: BicepFile): string[] {
  const required: Record<string, string> = {
    'properties.allowSharedKeyAccess': 'false',
    'properties.supportsHttpsTrafficOnly': 'true',
    'properties.minimumTlsVersion': "'TLS1_2'",
    'properties.allowBlobPublicAccess': 'false',
  };
  const problems: string[] = [];
  for (const r of resources(file)) {
    if (r.type !== 'Microsoft.Storage/storageAccounts' || r.existing) continue;
    for (const [path, want] of Object.entries(required)) {
      const got = propertyPath(r.body, path)?.text;
      if (got !== want) {
        problems.push(
          `${where(file, r.node)}: storage account '${r.symbol}' must set ${path}: ${want} (has ${got ?? 'nothing'})`,
        );
      }
    }
  }
  return problems;
}

/** Names of the entries of every `appSettings: [...]` (Function App) or `env: [...]` (container) array. */
export function settingNames(file: BicepFile, key: 'appSettings' | 'env'): string[] {
  const names: string[] = [];
  for (const p of descendants(file.root, 'object_property')) {
    if (p.namedChildren[0]?.text !== key || p.namedChildren[1]?.type !== 'array') continue;
    for (const entry of p.namedChildren[1].namedChildren) {
      const name = literal(property(entry, 'name'));
      if (name !== undefined) names.push(name);
    }
  }
  return names;
}

/**
 * 9. Every setting that looks like ours (DP_*, AZURE_*) is a name of the environment contract,
 * so a typo (DP_STORAGE_ACOUNT) cannot ship.
 */
export function envContractProblems(file: BicepFile, contract: readonly string[]): string[] {
  const allowed = new Set(contract);
  const problems: string[] = [];
  for (const key of ['appSettings', 'env'] as const) {
    for (const name of settingNames(file, key)) {
      if (/^(DP_|AZURE_)/.test(name) && !allowed.has(name)) {
        problems.push(`${file.path}: ${key} entry '${name}' is not in the environment contract`);
      }
    }
  }
  return problems;
}

/** The string literals of an array variable (e.g. the lake's container names). */
export function stringArrayVariable(file: BicepFile, name: string): string[] | undefined {
  const value = variables(file).get(name);
  if (value?.type !== 'array') return undefined;
  return value.namedChildren.map((c) => literal(c) ?? `<${c.text}>`);
}
