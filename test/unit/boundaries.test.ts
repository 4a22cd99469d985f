// Who may import what. Only main/ and preload/ touch Electron; the renderer is a web page that sees
// the contract and nothing of Node, the database or the other processes; the contract is plain data
// and zod; the preload's bundle reaches no zod. Specifiers are read from the sources themselves.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const sourceExtensions = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

function sourceFiles(dir: string): string[] {
  const absolute = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(absolute);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(absolute, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return sourceExtensions.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Removes comments, leaving strings (and so specifiers) intact; "//" inside a string stays. */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 2;
      out += ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every module specifier: static import/export … from, bare import, dynamic import(), require(). */
export function importSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const patterns = [
    /\bfrom\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[1] as string));
}

/** Specifiers that load code at run time: `import type` and `export type … from` left out. */
export function valueImportSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const staticForms = [...code.matchAll(/\b(?:import|export)\s+(type\s+)?[^;'"`]*?\bfrom\s*['"]([^'"\n]+)['"]/g)]
    .filter((m) => !m[1])
    .map((m) => m[2] as string);
  const others = [
    /\bimport\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  ].flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[1] as string));
  return [...staticForms, ...others];
}

interface Import {
  file: string;
  specifier: string;
  /** Absolute path for relative specifiers, null for packages. */
  target: string | null;
}

function importsOf(file: string): Import[] {
  return importSpecifiers(readFileSync(file, 'utf8')).map((specifier) => ({
    file: relative(root, file),
    specifier,
    target: specifier.startsWith('.') ? resolve(dirname(file), specifier) : null,
  }));
}

function importsUnder(dir: string): Import[] {
  return sourceFiles(dir).flatMap(importsOf);
}

const isNodeBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0] as string);
const packageOf = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string));
const isUnder = (path: string, dir: string) => path === join(root, dir) || path.startsWith(join(root, dir) + sep);
const show = (imports: Import[]) => imports.map((i) => `${i.file} -> ${i.specifier}`);

describe('the import reader', () => {
  it('finds every form of import and ignores comments', () => {
    const source = [
      `import a from 'one';`,
      `import type { B } from "two";`,
      `import './three.css';`,
      `export * from './four.ts';`,
      `export { c } from '../five.ts';`,
      `const d = await import('six');`,
      `const e = require("seven");`,
      `import {`,
      `  f,`,
      `} from 'eight';`,
      `// import x from 'commented';`,
      `/* import y from 'blocked'; */`,
      `const url = 'https://example.com/'; import z from 'nine';`,
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(
      ['one', 'two', './three.css', './four.ts', '../five.ts', 'six', 'seven', 'eight', 'nine'].sort(),
    );
    expect(valueImportSpecifiers(source).sort()).toEqual(
      ['one', './three.css', './four.ts', '../five.ts', 'six', 'seven', 'eight', 'nine'].sort(),
    );
  });
});

describe('process boundaries', () => {
  it.each(['db', 'contract', 'sync', 'server', 'web'])('nothing under %s/ imports electron', (dir) => {
    const offending = importsUnder(dir).filter((i) => packageOf(i.specifier) === 'electron');
    expect(show(offending)).toEqual([]);
  });

  it('the renderer imports no Node module, Electron, database driver or other process code', () => {
    const imports = importsUnder('renderer');
    const forbiddenPackages = new Set(['electron', 'better-sqlite3', 'kysely']);
    const forbiddenDirs = ['main', 'preload', 'db', 'server', 'sync', 'web'];
    const offending = imports.filter(
      (i) =>
        isNodeBuiltin(i.specifier) ||
        (i.target === null && forbiddenPackages.has(packageOf(i.specifier))) ||
        (i.target !== null && forbiddenDirs.some((dir) => isUnder(i.target as string, dir))),
    );
    expect(show(offending)).toEqual([]);
  });

  it('the contract imports only zod and itself', () => {
    const imports = importsUnder('contract');
    expect(imports.length).toBeGreaterThan(0);
    const offending = imports.filter((i) => (i.target === null ? i.specifier !== 'zod' : !isUnder(i.target, 'contract')));
    expect(show(offending)).toEqual([]);
  });

  it('main reaches no database driver: the database is the database worker\'s (db/database-worker.ts)', () => {
    // Only the worker's client and its message types, which load neither better-sqlite3 nor kysely.
    // Value imports only, followed from main's entry; the worker is started by URL, not imported.
    const seen = new Set<string>();
    const reached: Import[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of valueImportSpecifiers(readFileSync(file, 'utf8'))) {
        const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : null;
        reached.push({ file: relative(root, file), specifier, target });
        if (target !== null) visit(target);
      }
    };
    visit(join(root, 'main', 'index.ts'));
    expect(reached.map((i) => i.target && relative(root, i.target))).toContain(join('db', 'database-client.ts'));
    const offending = reached.filter((i) =>
      i.target === null
        ? ['better-sqlite3', 'kysely'].includes(packageOf(i.specifier))
        : isUnder(i.target, 'db') && !['database-client.ts', 'database-messages.ts'].some((name) => i.target!.endsWith(`${sep}${name}`)),
    );
    expect(show(offending)).toEqual([]);
  });

  it('the preload reaches only electron and zod-free contract files (it is bundled into a sandbox)', () => {
    // Type-only imports vanish from the bundle: follow value imports only.
    const seen = new Set<string>();
    const reached: Import[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of valueImportSpecifiers(readFileSync(file, 'utf8'))) {
        const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : null;
        reached.push({ file: relative(root, file), specifier, target });
        if (target !== null) visit(target);
      }
    };
    visit(join(root, 'preload', 'index.ts'));
    expect(reached.map((i) => i.specifier)).toContain('electron');
    const offending = reached.filter((i) =>
      i.target === null ? i.specifier !== 'electron' : !isUnder(i.target, 'contract') && !isUnder(i.target, 'preload'),
    );
    expect(show(offending)).toEqual([]);
  });
});
