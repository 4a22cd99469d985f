// The route to the server, as Chromium answers it (PAC form) and as the environment names it.

import { describe, expect, it } from 'vitest';
import { parseProxyRules, proxyFromEnvironment } from '../../sync/proxy.ts';

describe('a PAC answer', () => {
  it('is read in order, with default ports, and entries this desk cannot use are left out', () => {
    expect(parseProxyRules('PROXY proxy.corp:8080; HTTPS secure.corp; SOCKS5 [::1]:1081; SOCKS old.corp:1080; QUIC q:443; DIRECT')).toEqual([
      { kind: 'http', host: 'proxy.corp', port: 8080 },
      { kind: 'https', host: 'secure.corp', port: 443 },
      { kind: 'socks5', host: '[::1]', port: 1081 },
      { kind: 'direct' },
    ]);
    expect(parseProxyRules('proxy a:3128')).toEqual([{ kind: 'http', host: 'a', port: 3128 }]);
  });

  it('with nothing usable, or unreadable, is DIRECT', () => {
    for (const rules of ['', 'DIRECT', 'SOCKS4 a:1080', 'PROXY', 'PROXY a:99999', 'PROXY a:b:c', 'garbage']) {
      expect(parseProxyRules(rules), rules).toEqual([{ kind: 'direct' }]);
    }
  });
});

describe('the environment’s proxy (the web bridge, a server-less test)', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', http_proxy: 'proxy.corp:8080', NO_PROXY: 'intranet.corp, .lan,10.0.0.5:8443' };

  it('follows the scheme of the server’s address', () => {
    expect(proxyFromEnvironment('https://desk.example.org/', env)).toBe('PROXY proxy.corp:3128; DIRECT');
    expect(proxyFromEnvironment('http://desk.example.org/', env)).toBe('PROXY proxy.corp:8080; DIRECT');
    expect(proxyFromEnvironment('https://desk.example.org/', { HTTPS_PROXY: 'https://tls-proxy.corp:443' })).toBe('HTTPS tls-proxy.corp; DIRECT');
    expect(proxyFromEnvironment('https://desk.example.org/', { https_proxy: 'socks5://s.corp:1080' })).toBe('SOCKS5 s.corp:1080; DIRECT');
  });

  it('goes direct for NO_PROXY’s hosts, their subdomains and ports, for this PC, and without a proxy', () => {
    expect(proxyFromEnvironment('https://intranet.corp/', env)).toBe('DIRECT');
    expect(proxyFromEnvironment('https://desk.intranet.corp/', env)).toBe('DIRECT');
    expect(proxyFromEnvironment('https://desk.lan/', env)).toBe('DIRECT');
    expect(proxyFromEnvironment('https://10.0.0.5:8443/', env)).toBe('DIRECT');
    expect(proxyFromEnvironment('https://10.0.0.5/', env)).toBe('PROXY proxy.corp:3128; DIRECT');
    expect(proxyFromEnvironment('https://notintranet.corp/', env)).toBe('PROXY proxy.corp:3128; DIRECT');
    expect(proxyFromEnvironment('http://127.0.0.1:8080/', env)).toBe('DIRECT');
    expect(proxyFromEnvironment('https://localhost/', env)).toBe('DIRECT');
    expect(proxyFromEnvironment('https://desk.example.org/', {})).toBe('DIRECT');
    expect(proxyFromEnvironment('https://desk.example.org/', { ...env, NO_PROXY: '*' })).toBe('DIRECT');
  });
});
