#!/usr/bin/env node
// Electron security review of the built app (npm run test:security, after npm run build): runs the
// Electronegativity CLI over out/ (main, preload, renderer), prints every finding as a short table
// and fails on any HIGH severity finding.
//
// Offline by design: the Electron version is given with -e (read from node_modules/electron), the
// translation download and the release-notes lookup are answered "offline" at once, and the check that
// needs GitHub's release list (AvailableSecurityFixesGlobalCheck) is left out — Electron's own version
// is kept current through npm instead.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'out');
const require = createRequire(join(root, 'package.json'));

const built = ['main/index.js', 'preload/index.cjs', 'renderer/index.html'];
const missing = built.filter((file) => !existsSync(join(outDir, file)));
if (missing.length > 0) {
  console.error(`electronegativity: out/${missing.join(', out/')} missing — run "npm run build" first.`);
  process.exit(1);
}

const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const toolDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
const cli = join(toolDir, 'dist', 'index.js');

const work = mkdtempSync(join(tmpdir(), 'electronegativity-'));
try {
  const report = join(work, 'report.csv');
  runScanner(report);
  const findings = parseCsv(readFileSync(report, 'utf8'))
    .filter((row) => row.length >= 5 && row[0] !== 'issue')
    .map(([issue, severity, confidence, file, location, , description]) => ({
      issue,
      severity: (severity ?? '').toUpperCase(),
      confidence: (confidence ?? '').toUpperCase(),
      where: `${file}:${location}`,
      description: description ?? '',
    }));
  printTable(findings);
  const high = findings.filter((f) => f.severity === 'HIGH');
  if (high.length > 0) {
    console.error(`\nelectronegativity: ${high.length} HIGH severity finding(s) — failing.`);
    process.exit(1);
  }
  console.log(`\nelectronegativity: ${findings.length} finding(s), none HIGH (Electron ${electronVersion}).`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function runScanner(report) {
  // Electronegativity 1.10 pins TypeScript 4.2 for its parser, but npm hoists the parser next to this
  // project's TypeScript 7, which has no JavaScript API: point the parser back at the pinned copy.
  const pinnedTypescript = createRequire(join(toolDir, 'package.json')).resolve('typescript');
  const offlineGot = join(work, 'offline-got.cjs');
  writeFileSync(
    offlineGot,
    `const offline = () => Promise.reject(new Error('offline: no network during the security scan'));\n` +
      `module.exports = Object.assign(offline, { get: offline, head: offline, post: offline });\n`,
  );
  const hook = join(work, 'hooks.mjs');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';\n` +
      `const typescript = ${JSON.stringify(pathToFileURL(pinnedTypescript).href)};\n` +
      `const got = ${JSON.stringify(pathToFileURL(offlineGot).href)};\n` +
      `const tool = ${JSON.stringify(pathToFileURL(toolDir).href + '/')};\n` +
      `registerHooks({\n` +
      `  resolve(specifier, context, next) {\n` +
      `    const parent = context.parentURL ?? '';\n` +
      `    if (specifier === 'typescript' && parent.includes('/@typescript-eslint/')) return { url: typescript, format: 'commonjs', shortCircuit: true };\n` +
      `    if (specifier === 'got' && parent.startsWith(tool)) return { url: got, format: 'commonjs', shortCircuit: true };\n` +
      `    return next(specifier, context);\n` +
      `  },\n` +
      `});\n`,
  );
  const args = [
    '--import', pathToFileURL(hook).href,
    cli,
    '--input', outDir,
    '--electron-version', electronVersion,
    '--output', report,
    '--relative',
    '--exclude-checks', 'availablesecurityfixesglobalcheck',
  ];
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LANG: 'en-US', FORCE_COLOR: '0' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0 || !existsSync(report)) {
    console.error(run.stdout, run.stderr);
    console.error(`electronegativity: the scanner failed (exit ${run.status ?? run.signal}).`);
    process.exit(1);
  }
}

/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field.trim());
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field.trim());
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field.trim());
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

function printTable(findings) {
  if (findings.length === 0) {
    console.log('electronegativity: no findings.');
    return;
  }
  const order = { HIGH: 0, MEDIUM: 1, LOW: 2, INFORMATIONAL: 3 };
  const rows = [...findings]
    .sort((a, b) => (order[a.severity] ?? 9) - (order[b.severity] ?? 9) || a.issue.localeCompare(b.issue))
    .map((f) => [f.severity, f.confidence, f.issue, f.where, f.description.length > 60 ? `${f.description.slice(0, 59)}…` : f.description]);
  const header = ['SEVERITY', 'CONFIDENCE', 'CHECK', 'WHERE', 'WHAT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
