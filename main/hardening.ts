// What the agent's page may not do, enforced in main whatever the page tries: leave the app's page
// (phone links excepted, handed to the OS after checks: external-links.ts), open windows, embed
// webviews, or get any browser permission (camera, geolocation, notifications…).
// Applied to every web contents the app creates, not only the main window's.

import type { Session, WebContents } from 'electron';
import { contentSecurityPolicy, frameAncestors } from '../contract/csp.ts';
import type { AppPage } from './app-page.ts';
import { openPhoneLink } from './external-links.ts';

export function guardWebContents(contents: WebContents, page: AppPage): void {
  const stayOnAppPage = (event: { preventDefault(): void }, url: string) => {
    if (!page.isAppUrl(url)) event.preventDefault();
  };
  // A tel: or wa.me link the agent follows goes to the OS (softphone, WhatsApp), never into the window.
  contents.on('will-navigate', (event) => {
    stayOnAppPage(event, event.url);
    if (event.defaultPrevented && event.isMainFrame !== false) openPhoneLink(event.url);
  });
  contents.on('will-redirect', (event) => stayOnAppPage(event, event.url));
  contents.on('will-frame-navigate', (event) => stayOnAppPage(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openPhoneLink(url);
    return { action: 'deny' };
  });
}

export function guardSession(session: Session, page: AppPage): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback(null));
  if (page.kind === 'dev-server') {
    // The bundled page carries its policy in a <meta> tag; pages from the dev server get it as a header.
    const policy = developmentCsp(page.url);
    session.webRequest.onHeadersReceived((details, callback) => {
      const isHttp = details.url.startsWith('http:') || details.url.startsWith('https:');
      if (!isHttp) return callback({});
      const responseHeaders = { ...(details.responseHeaders ?? {}) };
      for (const name of Object.keys(responseHeaders)) {
        if (name.toLowerCase() === 'content-security-policy') delete responseHeaders[name];
      }
      callback({ responseHeaders: { ...responseHeaders, 'Content-Security-Policy': [policy] } });
    });
  }
}

/**
 * The production policy, loosened only as far as Vite's dev server needs: its fast-refresh preamble is
 * an inline script, it injects CSS as <style> tags, and hot reload talks over a WebSocket. Never used
 * by a packaged build (resolveAppPage ignores the dev URL there).
 */
export function developmentCsp(devUrl: string): string {
  const origin = new URL(devUrl);
  const socket = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}`;
  const loosened: Record<string, string[]> = {
    'script-src': ["'unsafe-inline'"],
    'style-src': ["'unsafe-inline'"],
    'connect-src': [socket],
  };
  return `${contentSecurityPolicy}; ${frameAncestors}`
    .split(';')
    .map((directive) => directive.trim())
    .filter(Boolean)
    .map((directive) => {
      const name = directive.split(/\s+/, 1)[0] ?? '';
      const extra = loosened[name];
      return extra ? `${directive} ${extra.join(' ')}` : directive;
    })
    .join('; ');
}
