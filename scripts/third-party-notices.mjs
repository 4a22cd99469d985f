// Writes out/THIRD-PARTY-NOTICES.txt: the name, version, licence and licence text of every npm
// package the packaged app ships: the closure of package.json's dependencies in package-lock.json,
// resolved as Node does (nested node_modules first). electron-builder copies it into the
// installer's resources (electron-builder.yml).

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

export function shippedPackages() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const found = new Map();
  const resolveFrom = (parent, name) => {
    for (let base = parent; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
      const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!base) return null;
    }
  };
  const visit = (parent, names) => {
    for (const name of names) {
      const path = resolveFrom(parent, name);
      if (!path || found.has(path)) continue;
      const entry = lock.packages[path];
      found.set(path, { path, name, version: entry.version, license: entry.license ?? 'UNKNOWN' });
      visit(path, Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }));
    }
  };
  visit('', Object.keys(manifest.dependencies ?? {}));
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function licenceText(dir) {
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f));
  return file ? readFileSync(join(dir, file), 'utf8').trim() : null;
}

export function writeNotices(outFile = join(root, 'out', 'THIRD-PARTY-NOTICES.txt')) {
  const packages = shippedPackages();
  const parts = [
    'Notification Desk — third-party software notices / avis des logiciels tiers',
    'Electron and Chromium notices: LICENSE and LICENSES.chromium.html next to the executable.',
    '',
  ];
  const missing = [];
  for (const pkg of packages) {
    const text = licenceText(join(root, pkg.path));
    if (!text) missing.push(pkg.name);
    parts.push('='.repeat(78), `${pkg.name} ${pkg.version} — ${pkg.license}`, '', text ?? `(no licence file in the package; licence field: ${pkg.license})`, '');
  }
  mkdirSync(resolve(outFile, '..'), { recursive: true });
  writeFileSync(outFile, parts.join('\n'));
  return { file: outFile, count: packages.length, missing };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { file, count, missing } = writeNotices();
  console.log(`${count} packages in ${file}${missing.length ? `; no licence file in: ${missing.join(', ')}` : ''}`);
}
