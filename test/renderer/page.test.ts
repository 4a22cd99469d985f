// The renderer page: its CSP is the shared one, and nothing in it or in the sources needs
// 'unsafe-inline' or 'unsafe-eval' (no inline script or style, no innerHTML, no eval).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as csp from '../../contract/csp.ts';

const root = join(import.meta.dirname, '../..');
const html = readFileSync(join(root, 'renderer/index.html'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

describe('renderer/index.html', () => {
  it('carries the shared Content Security Policy as a meta tag', () => {
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
    const shared = Object.values(csp).find((v): v is string => typeof v === 'string' && v.includes('default-src'));
    expect(meta?.[1]).toBe(shared);
    expect(meta?.[1]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'",
    );
  });

  it('is French by default, titled, and has no inline script or style', () => {
    expect(html).toMatch(/<html lang="fr">/);
    expect(html).toContain('<title>Notification Desk</title>');
    expect(html).not.toMatch(/<style|\sstyle="|\son[a-z]+="/i);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain('src="./src/main.tsx"');
    expect(scripts[0]![2]!.trim()).toBe('');
  });

  it('the renderer sources inject no HTML and evaluate no code', () => {
    const offending = sources(join(root, 'renderer/src')).filter((file) =>
      /dangerouslySetInnerHTML|\.innerHTML\s*=|\beval\(|new Function\(/.test(readFileSync(file, 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
