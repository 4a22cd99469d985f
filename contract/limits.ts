// Sizes and counts every side agrees on. No zod here: the renderer reads these without bundling
// the schemas (zod's eval probe would be reported as a violation of the page's CSP).

export const limits = {
  query: 100,
  clientCode: 64,
  channel: 40,
  note: 1000,
  reason: 500,
  agentName: 80,
  pageSize: 200,
  historyPageSize: 200,
  demoClients: 200_000,
  importBytes: 64 * 1024 * 1024,
  fileName: 255,
  url: 2048,
  token: 512,
  totalCap: 10_000,
  undoSeconds: 10,
  /** A PIN is 4 to 12 digits. */
  pinMin: 4,
  pinMax: 12,
  /** Idle minutes before the session locks (0: never); the policy may set it. */
  lockAfterMinutesMax: 24 * 60,
  /** A server agent's login (contract/sign-in.ts normaliseLogin): NFC, case-folded, trimmed. */
  login: 64,
  /** A server agent's PIN (--agent-secret pin): 6 to 12 digits. */
  agentPinMin: 6,
  agentPinMax: 12,
  /** A server agent's password (--agent-secret password), per OWASP: 12 to 128 characters, any of them. */
  agentPasswordMin: 12,
  agentPasswordMax: 128,
  /** Days an agent may sign in offline on a desk after an online sign-in there (0: never offline). */
  offlineSignInDaysDefault: 14,
  offlineSignInDaysMax: 365,
  /** Default: an agent's open call-back becomes the team's this long after it fell due (a site may set its own). */
  callbackHandoverMinutes: 60,
  /** Past this difference between the desk's clock and the server's, the desk warns the agent. */
  clockSkewWarnMinutes: 5,
} as const;
