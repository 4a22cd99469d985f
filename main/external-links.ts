// The only places the agent's page may send the workstation: the softphone (tel:) and WhatsApp
// (https://wa.me/<number>), both for a phone number and nothing else. Any other URL, or one of these
// carrying more than a number (credentials, a port, a query, a path), is refused: the page's links
// are built from imported data, and openExternal runs whatever the OS associates with a URL.

import { shell } from 'electron';

const telNumber = /^\+?[0-9]{3,20}$/;
const waPath = /^\/[0-9]{6,15}$/;

/** The URL as it may be opened, or null when it is not a phone link the desk makes. */
export function phoneLinkToOpen(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol === 'tel:') return telNumber.test(url.pathname) && !url.search && !url.hash ? `tel:${url.pathname}` : null;
  const plainHttps = url.protocol === 'https:' && !url.username && !url.password && !url.port && !url.search && !url.hash;
  if (plainHttps && url.hostname === 'wa.me' && waPath.test(url.pathname)) return `https://wa.me${url.pathname}`;
  return null;
}

/** Hands a phone link to the OS; says whether it was one. */
export function openPhoneLink(raw: string): boolean {
  const url = phoneLinkToOpen(raw);
  if (!url) return false;
  shell.openExternal(url).catch((error: unknown) => console.error(`openExternal failed: ${String(error)}`));
  return true;
}
