import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The Markdown a reader follows links through: the README, docs/, and the folder READMEs. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  const readmes = ['README.md', 'infra/README.md', 'examples/README.md', 'fonts/README.md']
    .map((path) => join(ROOT, path))
    .filter((path) => existsSync(path));
  return [...readmes, ...docs];
}

/** Lines outside fenced code blocks, where `[x](y)` is a link and `#` a heading. */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading?.[1] === undefined) continue;
    const base = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Relative link targets (`[text](target)`, images too), outside code blocks and code spans. */
function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, '``');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1];
      if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push(target);
    }
  }
  return links;
}

/** Every broken relative link of `file` (whose text is `text`), as `file: target (why)`. */
function brokenLinks(file: string, text: string): string[] {
  const broken: string[] = [];
  for (const target of relativeLinks(text)) {
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const name = `${relative(ROOT, file)}: ${target}`;
    if (path !== '' && !existsSync(resolved)) {
      broken.push(`${name} (no such file)`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (path !== '' && (!statSync(resolved).isFile() || !resolved.endsWith('.md'))) {
      broken.push(`${name} (an anchor into a file that is not Markdown)`);
      continue;
    }
    const targetText = resolved === file ? text : readFileSync(resolved, 'utf8');
    if (!anchors(targetText).has(decodeURIComponent(anchor))) {
      broken.push(`${name} (no heading with that anchor)`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('finds a missing file and a missing anchor (the checker itself can fail)', () => {
    const file = join(ROOT, 'docs', 'example.md');
    const text = [
      '# Title',
      '## One writer at a time (the lake lease)',
      'See [ok](#one-writer-at-a-time-the-lake-lease), [ok](cli.md#cli), [gone](#gone),',
      '[missing](no-such-page.md) and `[not a link](#in-code)`.',
      '```',
      '[not a link either](#in-a-fence)',
      '```',
    ].join('\n');
    expect(brokenLinks(file, text)).toEqual([
      'docs/example.md: #gone (no heading with that anchor)',
      'docs/example.md: no-such-page.md (no such file)',
    ]);
  });

  it('resolves every relative link of the README and docs/ to an existing file and anchor', () => {
    const files = markdownFiles();
    expect(files.map((file) => relative(ROOT, file))).toContain('docs/privacy.md');
    const broken = files.flatMap((file) => brokenLinks(file, readFileSync(file, 'utf8')));
    expect(broken).toEqual([]);
  });

  it('links every docs/ page from the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = new Set(relativeLinks(readme).map((target) => target.split('#')[0]));
    const pages = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    expect(pages.filter((page) => !linked.has(`docs/${page}`))).toEqual([]);
  });

  it('keeps the README short and its screenshot small', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(220);
    expect(statSync(join(ROOT, 'docs', 'report.png')).size).toBeLessThan(300 * 1024);
  });
});
