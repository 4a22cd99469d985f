// Keeping the agent's window alive: a renderer that dies (out of memory, GPU crash, killed) or hangs
// is reloaded and the agent is told why the screen flashed; their work is in the database, so a
// reload loses nothing but the page's state. Main's own unexpected errors are logged with their
// cause and shown, instead of Electron killing the app without a word.

import type { Locale } from '../contract/errors.ts';
import type { DeskLog } from './log.ts';

export const reloadedMessage: Record<Locale, string> = {
  fr: 'La fenêtre a été rechargée après un incident. Vos enregistrements sont conservés.',
  en: 'The window was reloaded after a problem. Your records are kept.',
};

/** What of a window this needs (Electron's BrowserWindow has it all). */
export interface WatchedWindow {
  on(event: 'unresponsive' | 'responsive', listener: () => void): unknown;
  isDestroyed(): boolean;
  webContents: {
    on(event: 'render-process-gone', listener: (event: unknown, details: { reason: string; exitCode: number }) => void): unknown;
    reload(): void;
    forcefullyCrashRenderer(): void;
    isDestroyed(): boolean;
  };
}

export interface RecoveryOptions {
  log: DeskLog;
  /** Tells the agent (a non-blocking message box). */
  notify(message: string): void;
  locale(): Locale;
  /** A hang lasting this long is ended by a reload (default 15 s). */
  hangMs?: number;
  /** More reloads than this within a minute: stop and say so, a reload loop helps nobody. */
  maxReloadsPerMinute?: number;
  now?: () => number;
}

export function watchRenderer(window: WatchedWindow, options: RecoveryOptions): { dispose(): void } {
  const now = options.now ?? Date.now;
  const hangMs = options.hangMs ?? 15_000;
  const maxReloads = options.maxReloadsPerMinute ?? 3;
  const reloads: number[] = [];
  let hang: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  const clearHang = () => {
    if (hang) clearTimeout(hang);
    hang = null;
  };

  const reload = (why: string) => {
    if (disposed || window.isDestroyed() || window.webContents.isDestroyed()) return;
    const at = now();
    while (reloads.length && at - (reloads[0] as number) > 60_000) reloads.shift();
    if (reloads.length >= maxReloads) {
      options.log.error(`renderer: ${why}; not reloaded, ${reloads.length} reloads within a minute already`);
      return;
    }
    reloads.push(at);
    options.log.warn(`renderer: ${why}; reloading the window`);
    window.webContents.reload();
    options.notify(reloadedMessage[options.locale()]);
  };

  window.webContents.on('render-process-gone', (_event, details) => {
    clearHang();
    // A clean exit is the window closing, not a crash.
    if (details.reason === 'clean-exit') return;
    reload(`process gone (${details.reason}, exit code ${details.exitCode})`);
  });
  window.on('unresponsive', () => {
    options.log.warn('renderer: not responding');
    clearHang();
    hang = setTimeout(() => {
      hang = null;
      if (disposed || window.isDestroyed()) return;
      options.log.error(`renderer: still not responding after ${hangMs} ms; ending it`);
      // Ends the hung process; render-process-gone ('killed') then reloads it.
      window.webContents.forcefullyCrashRenderer();
    }, hangMs);
    hang.unref?.();
  });
  window.on('responsive', () => {
    if (hang) options.log.info('renderer: responding again');
    clearHang();
  });
  return {
    dispose: () => {
      disposed = true;
      clearHang();
    },
  };
}

export interface ProcessGuardOptions {
  log: DeskLog;
  /** Shows the error to the person at the desk (Electron's error box). */
  show(title: string, content: string): void;
  locale(): Locale;
  now?: () => number;
}

/**
 * Main's uncaught errors and unhandled rejections: logged with their cause, shown at most once a
 * minute (a failing timer must not bury the agent under dialogs), and the app keeps running.
 */
export function guardMainProcess(target: Pick<NodeJS.Process, 'on' | 'off'>, options: ProcessGuardOptions): { dispose(): void } {
  const now = options.now ?? Date.now;
  let lastShown = -Infinity;
  const handle = (kind: string) => (error: unknown) => {
    options.log.error(`main: ${kind}`, error);
    if (now() - lastShown < 60_000) return;
    lastShown = now();
    const fr = options.locale() === 'fr';
    const detail = error instanceof Error ? error.message : String(error);
    options.show(
      'Notification Desk',
      fr
        ? `Une erreur inattendue s’est produite : ${detail}\n\nL’application continue ; si le problème revient, exportez un diagnostic (Aide) pour le support.`
        : `An unexpected error happened: ${detail}\n\nThe app keeps running; if it happens again, export a diagnostic (Help) for support.`,
    );
  };
  const onException = handle('uncaught exception');
  const onRejection = handle('unhandled rejection');
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return {
    dispose: () => {
      target.off('uncaughtException', onException);
      target.off('unhandledRejection', onRejection);
    },
  };
}
