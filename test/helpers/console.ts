// The supervision console over real HTTP, as a browser without JavaScript would use it: a cookie
// jar, forms posted as application/x-www-form-urlencoded with the page's CSRF token, redirects
// seen (not followed), so tests can check every answer.

import { commandLineActor } from '../../server/console/audit.ts';
import { createConsoleUser } from '../../server/console/users.ts';
import { openServerDatabase } from '../../server/storage/database.ts';

export const consolePassword = 'mot-de-passe-solide';

export async function addConsoleUser(db: string, login: string, role: 'admin' | 'supervisor' | 'auditor', password = consolePassword): Promise<void> {
  const sdb = await openServerDatabase(db, { poolSize: 1 });
  try {
    await createConsoleUser(sdb, { login, role, password }, commandLineActor);
  } finally {
    await sdb.close();
  }
}

export interface ConsoleAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export class ConsoleClient {
  readonly baseUrl: string;
  readonly cookies = new Map<string, string>();
  /** Raw Set-Cookie headers seen, for checking their flags. */
  readonly setCookies: string[] = [];
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  private keep(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<ConsoleAnswer> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(this.baseUrl + path, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
    this.keep(response.headers);
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  get(path: string): Promise<ConsoleAnswer> {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<ConsoleAnswer> {
    return this.request('POST', path, { form, headers });
  }

  async signIn(login: string, password = consolePassword): Promise<ConsoleAnswer> {
    return this.post('/console/sign-in', { login, password });
  }

  /** The CSRF token of the signed-in session, as the pages carry it. */
  async csrf(): Promise<string> {
    const journal = await this.get('/console/journal');
    const token = /name="_csrf" value="([^"]+)"/.exec(journal.text)?.[1];
    if (!token) throw new Error(`no CSRF token on the journal (status ${journal.status})`);
    return token;
  }

  /** A changing form, posted as the page would: with the CSRF token. */
  async submit(path: string, form: Record<string, string> = {}): Promise<ConsoleAnswer> {
    return this.post(path, { _csrf: await this.csrf(), ...form });
  }
}

/** Text content of the HTML, tags dropped and entities decoded: what a reader sees. */
export function visibleText(htmlText: string): string {
  return htmlText
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
