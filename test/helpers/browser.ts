// Debian's Chromium driven by playwright-core, and a `npm run web` server on a fresh data folder.
// No Chromium is a failure, not a skip: CI installs it, and a browser suite that silently does
// nothing would hide a broken interface.

import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { DeskHandlers } from '../../contract/index.ts';
import { openDatabase, type LocalDatabase } from '../../db/connection.ts';
import { createDeskHandlers } from '../../db/desk.ts';
import { databaseFileName, startWebServer, type WebServer, type WebServerOptions } from '../../web/server.ts';
import { tempDir } from './local-db.ts';
import { afterEach, expect } from 'vitest';

const projectRoot = join(import.meta.dirname, '..', '..');

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium introuvable à ${chromiumPath} : installez-le (apt-get install -y chromium) ou indiquez CHROMIUM_PATH. ` +
        `(Chromium not found: the browser suite needs it.)`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * A second connection to the database a web bridge serves (its own is in the database worker), as
 * the sync worker has: for a test to read what the page wrote, or to compute what it should show.
 */
export async function withServedDatabase<T>(
  server: Pick<WebServer, 'database'>,
  work: (local: LocalDatabase, desk: DeskHandlers) => Promise<T>,
): Promise<T> {
  const local = await openDatabase(server.database.file, { checkpoint: 'auto' });
  try {
    return await work(local, createDeskHandlers(local));
  } finally {
    await local.close();
  }
}

export interface DeskSession {
  server: WebServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  dataDir: string;
  /** Console errors and uncaught page errors seen so far: a flow that logs one has a bug. */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface SessionOptions extends Partial<WebServerOptions> {
  locale?: string;
  viewport?: { width: number; height: number };
  /** Keep the data folder (a cached benchmark database). */
  keepData?: boolean;
}

export async function openDeskSession(options: SessionOptions = {}): Promise<DeskSession> {
  const { locale = 'fr-FR', viewport = { width: 1280, height: 800 }, keepData = false, ...serverOptions } = options;
  const dataDir = serverOptions.dataDir ?? tempDir('desk-web-');
  const server = await startWebServer({ port: 0, ...serverOptions, dataDir });
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ locale, viewport, timezoneId: 'Europe/Paris' });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    const opened = browser;
    return {
      server,
      browser: opened,
      context,
      page,
      dataDir,
      pageErrors,
      close: async () => {
        await opened.close();
        await server.close();
        if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A fresh data folder holding a copy of a database seeded once with `count` demo clients and kept
 * under .bench-cache/ (seeding 100,000 clients takes a while; copying the file takes a moment).
 * The copy is what the session changes, so every run starts from the same clients.
 */
export async function demoDataDir(count: number, agentName = 'Awa Diallo'): Promise<string> {
  const cacheDir = join(projectRoot, '.bench-cache', `web-demo-${count}`);
  const cached = join(cacheDir, databaseFileName);
  const stamp = join(cacheDir, 'seeded.json');
  if (!existsSync(stamp)) {
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    const local = await openDatabase(cached);
    try {
      const desk = createDeskHandlers(local);
      await desk.updateSettings({ agentName });
      await desk.seedDemoClients({ count });
    } finally {
      // Closing checkpoints the WAL into the file, so the file alone is the whole database.
      await local.close();
    }
    writeFileSync(stamp, JSON.stringify({ count, agentName, seededAt: new Date().toISOString() }) + '\n');
  }
  const dir = tempDir('desk-web-demo-');
  copyFileSync(cached, join(dir, databaseFileName));
  return dir;
}

/**
 * One browser session per test, closed after it: a test that leaves the page with a logged error
 * fails there, whatever it asserted. Call at module level; `open` replaces openDeskSession.
 */
export function sessionPerTest(): { open(options?: SessionOptions): Promise<DeskSession> } {
  let session: DeskSession | null = null;
  afterEach(async () => {
    const current = session;
    session = null;
    if (!current) return;
    const errors = current.pageErrors;
    await current.close();
    expect(errors, 'the page logged no error').toEqual([]);
  });
  return {
    open: async (options = {}) => {
      session = await openDeskSession(options);
      return session;
    },
  };
}
