// Builds web/bridge-client.ts into one classic script at start-up. Built here rather than by the
// renderer's Vite build so that the production bundle (Electron) never contains the HTTP bridge.
// It imports only zod-free contract files (channels, errors, events), so it stays a few kilobytes.

import { build } from 'esbuild';

const entry = new URL('./bridge-client.ts', import.meta.url).pathname;

export async function buildBridgeScript(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no bridge script');
  return output.text;
}
