// @vitest-environment jsdom
// A shared workstation in the interface, over the real domain on a real SQLite file: the sign-in
// screen, a new agent from it, wrong PINs, "Changer d'agent" (button, Ctrl+Shift+L, menu), the
// status bar's agent, and the lock after the idle delay.

import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listAgentEvents } from '../../db/agent-profiles.ts';
import { client, openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { renderApp, unmountAll } from './helpers/render.tsx';

let desk: TestBridge | undefined;

afterEach(async () => {
  vi.useRealTimers();
  unmountAll();
  await desk?.cleanup();
  desk = undefined;
});

async function deskWithTwoAgents(): Promise<TestBridge> {
  const t = await openTestBridge({ agentName: null });
  await t.addClients([client('C-1', 'ROBERT Karim')]);
  await t.t.desk.createAgentProfile({ name: 'Awa Diallo', pin: '1234' });
  await t.t.desk.signOut({});
  await t.t.desk.createAgentProfile({ name: 'Marc Petit', pin: '5678' });
  await t.t.desk.signOut({});
  return t;
}

async function signIn(user: ReturnType<typeof userEvent.setup>, name: string, pin: string): Promise<void> {
  await user.selectOptions(await screen.findByLabelText('Agent'), name);
  await user.type(screen.getByLabelText('Code PIN'), pin);
  await user.click(screen.getByRole('button', { name: 'Se connecter' }));
}

describe('signing in on a shared workstation', () => {
  it('signs in with the PIN, says who in the status bar, refuses a wrong PIN, and switches agent with Ctrl+Shift+L', async () => {
    desk = await deskWithTwoAgents();
    const user = userEvent.setup();
    renderApp(desk);
    await screen.findByRole('heading', { name: 'Connexion' });
    expect(within(screen.getByLabelText('Agent')).getAllByRole('option').map((o) => o.textContent)).toEqual(['Awa Diallo', 'Marc Petit']);

    await signIn(user, 'Marc Petit', '1234');
    expect((await screen.findByRole('alert')).textContent).toBe('Code PIN incorrect.');
    expect((screen.getByLabelText('Code PIN') as HTMLInputElement).value).toBe('');
    await signIn(user, 'Marc Petit', '5678');
    await screen.findByText('Agent : Marc Petit');

    fireEvent.keyDown(document.body, { key: 'L', code: 'KeyL', ctrlKey: true, shiftKey: true });
    await screen.findByRole('heading', { name: 'Connexion' });
    await signIn(user, 'Awa Diallo', '1234');
    await screen.findByText('Agent : Awa Diallo');

    await user.click(screen.getByRole('button', { name: 'Changer d’agent' }));
    await screen.findByRole('heading', { name: 'Connexion' });
    const kinds = (await listAgentEvents(desk.t.local.db)).reverse().map((e) => `${e.kind}:${e.agentName}`).slice(4);
    expect(kinds).toEqual(['signInFailed:Marc Petit', 'signIn:Marc Petit', 'signOut:Marc Petit', 'signIn:Awa Diallo', 'signOut:Awa Diallo']);
  });

  it('adds a new agent from "Nouvel agent", and the menu command switches agent too', async () => {
    desk = await deskWithTwoAgents();
    const user = userEvent.setup();
    renderApp(desk);
    await user.click(await screen.findByRole('button', { name: 'Nouvel agent' }));
    await screen.findByRole('heading', { name: 'Nouvel agent' });
    await user.type(screen.getByLabelText('Votre nom'), 'awa diallo');
    await user.type(screen.getByLabelText('Code PIN'), '4444');
    await user.type(screen.getByLabelText('Confirmez le code PIN'), '4444');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Un agent nommé « awa diallo » existe déjà');
    await user.clear(screen.getByLabelText('Votre nom'));
    await user.type(screen.getByLabelText('Votre nom'), 'Nadia Benali');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    await screen.findByText('Agent : Nadia Benali');

    act(() => desk!.emit('menuCommand', 'switchAgent'));
    await screen.findByRole('heading', { name: 'Connexion' });
    expect(within(screen.getByLabelText('Agent')).getAllByRole('option')).toHaveLength(3);
  });

  it('locks after the idle delay ("Session verrouillée"); activity puts it off; the PIN unlocks', async () => {
    desk = await openTestBridge({ agentName: null });
    await desk.t.desk.createAgentProfile({ name: 'Awa Diallo', pin: '1234' });
    await desk.t.desk.updateSettings({ lockAfterMinutes: 2 });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: (ms) => vi.advanceTimersByTime(ms) });
    renderApp(desk);
    await screen.findByRole('combobox', { name: /Rechercher un client/ });

    await act(async () => vi.advanceTimersByTime(90_000));
    fireEvent.keyDown(window, { key: 'a' }); // activity: the delay starts again
    await act(async () => vi.advanceTimersByTime(90_000));
    expect(screen.queryByRole('heading', { name: 'Session verrouillée' })).toBeNull();
    await act(async () => vi.advanceTimersByTime(31_000));
    await screen.findByRole('heading', { name: 'Session verrouillée' });
    expect((await desk.t.desk.getAgentSession({})).locked).toBe(true);

    await user.type(screen.getByLabelText('Code PIN'), '0000');
    await user.click(screen.getByRole('button', { name: 'Déverrouiller' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Code PIN incorrect.');
    await user.type(screen.getByLabelText('Code PIN'), '1234');
    await user.click(screen.getByRole('button', { name: 'Déverrouiller' }));
    await screen.findByRole('combobox', { name: /Rechercher un client/ });
    const kinds = (await listAgentEvents(desk.t.local.db)).reverse().map((e) => e.kind);
    expect(kinds).toEqual(['signIn', 'lock', 'signInFailed', 'unlock']);
  });
});

describe('Paramètres → Synchronisation', () => {
  it('sends an enrolment code instead of a token, and shows what the desk answers', async () => {
    desk = await openTestBridge();
    const user = userEvent.setup();
    renderApp(desk);
    await user.click(await screen.findByRole('button', { name: 'Paramètres' }));
    const dialog = await screen.findByRole('dialog', { name: 'Paramètres' });
    await user.type(within(dialog).getByLabelText('Adresse du serveur'), 'https://sync.exemple.fr');
    await user.type(within(dialog).getByLabelText('Code d’enrôlement'), ' abcde-fghjk ');
    await user.click(within(dialog).getByRole('button', { name: 'Enregistrer la synchronisation' }));
    // This bridge's desk has no sync host: its refusal is what the dialog must show.
    expect((await within(dialog).findByRole('alert')).textContent).toBe('La synchronisation n’est pas configurée.');
    const sent = desk.calls.filter((c) => c.operation === 'updateSyncSettings').map((c) => c.input);
    expect(sent).toEqual([{ serverUrl: 'https://sync.exemple.fr', enrolmentCode: 'abcde-fghjk' }]);
  });
});
