// The policy where it meets the agent: settings it fixes are written to the database at start,
// shown locked (Settings.lockedByPolicy), and a call that would change one is refused in main, so no
// page, old or tampered, can undo what IT set.

import type { PolicyLockedSetting } from '../contract/enums.ts';
import { errorPayload, type Result } from '../contract/errors.ts';
import type { Settings } from '../contract/model.ts';
import type { DeskCall } from '../db/database-client.ts';
import type { DeskLog } from './log.ts';
import type { Policy } from './policy.ts';

export function lockedSettings(policy: Policy): PolicyLockedSetting[] {
  const locked: PolicyLockedSetting[] = [];
  if (policy.language !== undefined) locked.push('locale');
  if (policy.singleKeyShortcuts !== undefined) locked.push('singleKeyShortcuts');
  if (policy.serverUrl !== undefined) locked.push('serverUrl');
  if (policy.lockDelayMinutes !== undefined) locked.push('lockAfterMinutes');
  return locked;
}

function refusal(setting: string): Result<never> {
  return { ok: false, error: errorPayload('settings.lockedByPolicy', { setting }) };
}

/** Wraps the database's calls: refuses changes to fixed settings and marks them in what is read. */
export function guardCalls(call: DeskCall, policy: Policy): DeskCall {
  const locked = lockedSettings(policy);
  if (locked.length === 0) return call;
  return (async (operation, input) => {
    if (operation === 'updateSettings' && typeof input === 'object' && input !== null) {
      const wanted = input as { locale?: unknown; singleKeyShortcuts?: unknown; lockAfterMinutes?: unknown };
      if (policy.language !== undefined && wanted.locale !== undefined && wanted.locale !== policy.language) return refusal('locale');
      if (policy.singleKeyShortcuts !== undefined && wanted.singleKeyShortcuts !== undefined && wanted.singleKeyShortcuts !== policy.singleKeyShortcuts) {
        return refusal('singleKeyShortcuts');
      }
      if (policy.lockDelayMinutes !== undefined && wanted.lockAfterMinutes !== undefined && wanted.lockAfterMinutes !== policy.lockDelayMinutes) {
        return refusal('lockAfterMinutes');
      }
    }
    if (operation === 'updateSyncSettings' && policy.serverUrl !== undefined && typeof input === 'object' && input !== null) {
      const serverUrl = (input as { serverUrl?: unknown }).serverUrl;
      if (serverUrl !== policy.serverUrl) return refusal('serverUrl');
    }
    const result = await call(operation, input);
    if ((operation === 'getSettings' || operation === 'updateSettings') && result.ok) {
      return { ok: true, value: { ...(result.value as Settings), lockedByPolicy: locked } } as typeof result;
    }
    return result;
  }) as DeskCall;
}

/**
 * At start: the fixed settings are written (so the page and the database agree), and a desk not yet
 * enrolled trades the policy's single-use enrolment code for its token (sync/enrol.ts), then enrols. Failures are logged, never fatal: the
 * agent can still work offline.
 */
export async function applyPolicyAtStart(call: DeskCall, policy: Policy, log: DeskLog): Promise<void> {
  const update: { locale?: 'fr' | 'en'; singleKeyShortcuts?: boolean; lockAfterMinutes?: number } = {};
  if (policy.language !== undefined) update.locale = policy.language;
  if (policy.singleKeyShortcuts !== undefined) update.singleKeyShortcuts = policy.singleKeyShortcuts;
  // The idle lock (renderer/src/idle-lock.ts) reads the session's delay: written here, it is the policy's.
  if (policy.lockDelayMinutes !== undefined) update.lockAfterMinutes = policy.lockDelayMinutes;
  if (Object.keys(update).length > 0) {
    const saved = await call('updateSettings', update);
    if (!saved.ok) log.error(`policy: settings not applied (${saved.error.code})`);
  }
  if (policy.serverUrl === undefined) return;
  const sync = await call('getSyncSettings', {});
  if (!sync.ok) {
    log.error(`policy: sync settings unreadable (${sync.error.code})`);
    return;
  }
  if (sync.value.serverUrl === policy.serverUrl && sync.value.hasToken) return;
  if (!policy.enrolmentCode) {
    log.info('policy: server set by policy; waiting for an access token to enrol');
    return;
  }
  log.forget(policy.enrolmentCode);
  const origin = new URL(policy.serverUrl).origin;
  // The sync host trades the code for the agent's token (POST /v1/enrol), seals it and starts syncing.
  const enrolled = await call('updateSyncSettings', { serverUrl: policy.serverUrl, enrolmentCode: policy.enrolmentCode });
  if (enrolled.ok) log.info(`policy: enrolled with ${origin}`);
  else log.error(`policy: enrolment with ${origin} failed (${enrolled.error.code})`);
}
