// Who is signed in at this workstation, whether the session is locked, and the profiles the
// sign-in screen offers. Signing in or out changes the settings' agent too.

import { create } from 'zustand';
import type { AgentSession } from '../../../contract/model.ts';
import { call } from '../desk.ts';
import { useSettingsStore } from './settings.ts';
import { useToastStore } from './toasts.ts';
import { useWorkspaceStore } from './workspace.ts';

interface SessionState {
  session: AgentSession | null;
  load(): Promise<AgentSession>;
  createProfile(name: string, pin: string): Promise<void>;
  signIn(profileId: string, pin: string, confirmPin?: string): Promise<void>;
  /** A desk enrolled with a device code: login and secret, checked by the server (or offline). */
  signInAgent(login: string, secret: string): Promise<void>;
  /** "Changer d'agent": the agent signs out and the sign-in screen shows. */
  signOut(): Promise<void>;
  lock(): Promise<void>;
}

/** What the previous agent left (their undo toast, Ctrl+Z's target, a note being typed) is not the next one's. */
function forgetPreviousAgent(): void {
  const toasts = useToastStore.getState();
  for (const toast of toasts.toasts) toasts.dismiss(toast.id);
  useWorkspaceStore.setState({ undo: null, pastUndo: null, dialog: null, note: '' });
}

export const useSessionStore = create<SessionState>()((set, get) => ({
  session: null,
  async load() {
    const session = await call('getAgentSession', {});
    set({ session });
    return session;
  },
  async createProfile(name, pin) {
    const settings = await call('createAgentProfile', { name, pin });
    forgetPreviousAgent();
    await get().load();
    useSettingsStore.setState({ settings });
  },
  async signIn(profileId, pin, confirmPin) {
    const settings = await call('signIn', { profileId, pin, ...(confirmPin !== undefined ? { confirmPin } : {}) });
    if (settings.agent?.id !== useSettingsStore.getState().settings?.agent?.id) forgetPreviousAgent();
    await get().load();
    useSettingsStore.setState({ settings });
  },
  async signInAgent(login, secret) {
    const settings = await call('signInAgent', { login, secret });
    if (settings.agent?.id !== useSettingsStore.getState().settings?.agent?.id) forgetPreviousAgent();
    await get().load();
    useSettingsStore.setState({ settings });
  },
  async signOut() {
    const settings = await call('signOut', {});
    forgetPreviousAgent();
    await get().load();
    useSettingsStore.setState({ settings });
  },
  async lock() {
    set({ session: await call('lockSession', {}) });
  },
}));
