// Debian's Chromium driven by playwright-core, and a `npm run web` server on a fresh data folder.
// No Chromium is a failure, not a skip: CI installs it, and a browser suite that silently does
// nothing would hide a broken interface.

import { existsSync, rmSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startWebServer, type WebServer, type WebServerOptions } from '../../web/server.ts';
import { tempDir } from './local-db.ts';

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
