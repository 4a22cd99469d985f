// A scripted server speaking the issue 9 protocol (device enrolment, POST /v1/sign-in, device and
// agent tokens, agentEvent pushes, agentState pulls) over real HTTP, for the desk's tests while the
// real server's side is being built (server/ is h1's): it holds the rules the desk relies on (a
// device token pushes only journal lines, an agent token only its agent's records, a disabled
// agent's tokens are refused) and logs which token carried which item, so tests can prove it.
// `down` makes it drop every connection, as an unreachable server does.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { normaliseLogin } from '../../contract/sign-in.ts';

export interface ScriptedAgent {
  agentId: string;
  login: string;
  name: string;
  secret: string;
  disabled: boolean;
}

export interface PushLogEntry {
  /** Whose token carried it: an agent id, or 'device'. */
  token: string;
  kind: string;
  id: string;
  agentId: string | null;
  outcome: 'applied' | 'duplicate' | 'rejected';
  code?: string;
}

export interface SignInServer {
  url: string;
  agents: ScriptedAgent[];
  pushes: PushLogEntry[];
  /** Agent events as the server stored them (id → record). */
  events: Map<string, Record<string, unknown>>;
  signIns: { login: string; ok: boolean }[];
  down: boolean;
  offlineDays: number;
  secretKind: 'pin' | 'password';
  /** A device code the desk may spend once. */
  deviceCode: string;
  addAgent(agent: Omit<ScriptedAgent, 'disabled'>): void;
  disable(agentId: string): void;
  /** An agent's token as an enrolment code gave it before issue 9: bound to no desk. */
  issueAgentToken(agentId: string): string;
  /** Revokes every token of an agent (as a new sign-in elsewhere would not; an admin does). */
  revokeTokens(agentId: string): void;
  close(): Promise<void>;
}

export async function startSignInServer(options: { offlineDays?: number; secretKind?: 'pin' | 'password' } = {}): Promise<SignInServer> {
  const tokens = new Map<string, { kind: 'device' | 'agent'; agentId: string | null; deviceId: string | null }>();
  const changes: { kind: string; record: Record<string, unknown> }[] = [];
  const state: SignInServer = {
    url: '',
    agents: [],
    pushes: [],
    events: new Map(),
    signIns: [],
    down: false,
    offlineDays: options.offlineDays ?? 14,
    secretKind: options.secretKind ?? 'pin',
    deviceCode: 'DEV-' + randomBytes(4).toString('hex').toUpperCase(),
    addAgent(agent) {
      const full = { ...agent, disabled: false };
      state.agents.push(full);
      changes.push({ kind: 'agentState', record: { agentId: full.agentId, login: full.login, name: full.name, disabled: false, at: new Date().toISOString() } });
    },
    disable(agentId) {
      const agent = state.agents.find((a) => a.agentId === agentId)!;
      agent.disabled = true;
      changes.push({ kind: 'agentState', record: { agentId, login: agent.login, name: agent.name, disabled: true, at: new Date().toISOString() } });
    },
    issueAgentToken(agentId) {
      const token = 'agt_' + randomBytes(12).toString('hex');
      tokens.set(token, { kind: 'agent', agentId, deviceId: null });
      return token;
    },
    revokeTokens(agentId) {
      for (const [token, owner] of tokens) if (owner.agentId === agentId) tokens.delete(token);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  let deviceCodeUsed = false;
  const features = ['epoch', 'agent.signIn', 'record.agentEvent', 'record.agentState'];
  const rules = () => ({ secretKind: state.secretKind, offlineDays: state.offlineDays });
  const epoch = 'scripted-' + randomBytes(4).toString('hex');

  function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
    return { status, body, headers };
  }
  const error = (status: number, code: string) => answer(status, { error: { code, message: { fr: code, en: code } } });

  function handle(method: string, path: string, headers: Record<string, string | string[] | undefined>, body: unknown) {
    const url = new URL(path, 'http://x');
    const bearer = typeof headers.authorization === 'string' ? headers.authorization.replace(/^Bearer /, '') : null;
    const owner = bearer ? tokens.get(bearer) : undefined;
    const device = headers['x-desk-device'];
    if (url.pathname === '/health') return answer(200, { status: 'ok', protocol: 1, features, serverEpoch: epoch });
    if (url.pathname === '/v1/enrol' && method === 'POST') {
      const { code, deviceId } = body as { code: string; deviceId: string };
      if (code !== state.deviceCode || deviceCodeUsed) return error(401, 'enrolment.invalid');
      deviceCodeUsed = true;
      const deviceToken = 'dev_' + randomBytes(12).toString('hex');
      tokens.set(deviceToken, { kind: 'device', agentId: null, deviceId });
      return answer(200, { kind: 'device', deviceToken, deviceId, serverTime: new Date().toISOString(), signIn: rules() });
    }
    if (!owner) return error(401, 'auth.invalid');
    if (owner.deviceId !== null && owner.deviceId !== device) return error(401, 'auth.deviceMismatch');
    const agent = owner.agentId ? state.agents.find((a) => a.agentId === owner.agentId) : undefined;
    if (agent?.disabled) return error(401, 'auth.revoked');
    if (url.pathname === '/v1/me') {
      if (owner.kind === 'device') return answer(200, { kind: 'device', deviceId: owner.deviceId, features, serverEpoch: epoch, serverTime: new Date().toISOString(), signIn: rules() });
      return answer(200, { kind: 'agent', agentId: agent!.agentId, agentName: agent!.name, ...(owner.deviceId ? { deviceId: owner.deviceId } : {}), features, serverEpoch: epoch, serverTime: new Date().toISOString(), signIn: rules() });
    }
    if (url.pathname === '/v1/sign-in' && method === 'POST') {
      if (owner.kind !== 'device') return error(403, 'auth.deviceRequired');
      const { login, secret } = body as { login: string; secret: string };
      const found = state.agents.find((a) => a.login === normaliseLogin(login));
      if (!found || found.secret !== secret) {
        state.signIns.push({ login, ok: false });
        return error(401, 'signIn.invalid');
      }
      if (found.disabled) {
        state.signIns.push({ login, ok: false });
        return error(403, 'agent.disabled');
      }
      state.signIns.push({ login, ok: true });
      for (const [t, o] of tokens) if (o.agentId === found.agentId && o.deviceId === owner.deviceId) tokens.delete(t);
      const token = 'agt_' + randomBytes(12).toString('hex');
      tokens.set(token, { kind: 'agent', agentId: found.agentId, deviceId: owner.deviceId });
      return answer(200, { token, agentId: found.agentId, agentName: found.name, login: found.login, serverTime: new Date().toISOString(), ...rules() });
    }
    if (url.pathname === '/v1/push' && method === 'POST') {
      const items = (body as { items: { kind: string; record: Record<string, unknown> }[] }).items;
      const results = items.map((item) => {
        const id = String(item.kind === 'void' || item.kind === 'reason' ? item.record.attemptId : item.record.id);
        const entry: PushLogEntry = { token: owner.kind === 'device' ? 'device' : owner.agentId!, kind: item.kind, id, agentId: (item.record.agentId as string | null) ?? null, outcome: 'applied' };
        if (item.kind === 'agentEvent') {
          entry.outcome = state.events.has(id) ? 'duplicate' : 'applied';
          state.events.set(id, item.record);
        } else if (owner.kind === 'device') {
          entry.outcome = 'rejected';
          entry.code = 'auth.deviceOnly';
        } else if (item.record.agentId !== owner.agentId) {
          entry.outcome = 'rejected';
          entry.code = 'agent.mismatch';
        }
        state.pushes.push(entry);
        return { kind: item.kind, id, outcome: entry.outcome, ...(entry.code ? { error: { code: entry.code, message: { fr: entry.code, en: entry.code } } } : {}) };
      });
      return answer(200, { results, serverTime: new Date().toISOString(), serverEpoch: epoch });
    }
    if (url.pathname === '/v1/changes') {
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      const page = changes.slice(cursor);
      return answer(200, { changes: page, nextCursor: String(changes.length), hasMore: false, serverTime: new Date().toISOString(), serverEpoch: epoch });
    }
    return error(404, 'not.found');
  }

  const server: Server = createServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const result = handle(req.method ?? 'GET', req.url ?? '/', req.headers, text ? (JSON.parse(text) as unknown) : null);
      res.writeHead(result.status, { 'content-type': 'application/json', ...result.headers });
      res.end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
