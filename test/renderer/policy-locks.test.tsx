// @vitest-environment jsdom
// Settings fixed by the site's policy: shown in Paramètres, greyed, saying who fixed them; what is
// not fixed still saves. The calls go through main's real policy guard (main/policy-guard.ts).

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { renderWorkspace, unmountAll } from './helpers/render.tsx';

let desk: TestBridge | undefined;

afterEach(async () => {
  unmountAll();
  await desk?.cleanup();
  desk = undefined;
});

describe('settings fixed by policy', () => {
  it('are locked in Paramètres while the others still save', async () => {
    desk = await openTestBridge({ policy: { singleKeyShortcuts: false, language: 'fr', serverUrl: 'https://sync.example.fr' } });
    await desk.t.desk.updateSettings({ singleKeyShortcuts: false });
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await user.click(screen.getByRole('button', { name: 'Paramètres' }));
    const dialog = await screen.findByRole('dialog', { name: 'Paramètres' });

    const singleKeys = within(dialog).getByRole('checkbox', { name: /Raccourcis à une touche/ }) as HTMLInputElement;
    expect(singleKeys.disabled).toBe(true);
    expect(singleKeys.checked).toBe(false);
    expect(within(dialog).getByRole('radio', { name: 'English' }).matches(':disabled')).toBe(true);
    expect(within(dialog).getAllByText(/Fixé par le service informatique/).length).toBeGreaterThanOrEqual(3);
    expect((within(dialog).getByLabelText('Adresse du serveur') as HTMLInputElement).readOnly).toBe(true);

    const name = within(dialog).getByLabelText('Nom de l’agent');
    await user.clear(name);
    await user.type(name, 'Awa D.');
    await user.click(within(dialog).getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText('Paramètres enregistrés');
    expect((await desk.t.desk.getSettings({})).agent?.name).toBe('Awa D.');
  });

  it('lock the idle delay when the policy sets lockDelayMinutes, and main refuses another value', async () => {
    desk = await openTestBridge({ policy: { lockDelayMinutes: 5 } });
    // What applyPolicyAtStart writes at start (main/policy-guard.ts).
    await desk.t.desk.updateSettings({ lockAfterMinutes: 5 });
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await user.click(screen.getByRole('button', { name: 'Paramètres' }));
    const dialog = await screen.findByRole('dialog', { name: 'Paramètres' });
    const delay = within(dialog).getByLabelText('Verrouiller après') as HTMLInputElement;
    expect(delay.disabled).toBe(true);
    expect(delay.value).toBe('5');
    expect(within(dialog).getByText(/min d’inactivité/).textContent).toContain('Fixé par le service informatique');

    const refused = (await desk.bridge.api.updateSettings({ lockAfterMinutes: 60 })) as unknown as { ok: boolean; error?: { code: string } };
    expect(refused).toMatchObject({ ok: false, error: { code: 'settings.lockedByPolicy' } });
    expect((await desk.t.desk.getAgentSession({})).lockAfterMinutes).toBe(5);
    // Saving the other settings does not send the fixed delay back.
    await user.click(within(dialog).getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText('Paramètres enregistrés');
  });
});

describe('the idle delay in Paramètres', () => {
  it('saves the agent’s minutes into the session the idle lock reads', async () => {
    desk = await openTestBridge();
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await user.click(screen.getByRole('button', { name: 'Paramètres' }));
    const dialog = await screen.findByRole('dialog', { name: 'Paramètres' });
    const delay = within(dialog).getByLabelText('Verrouiller après') as HTMLInputElement;
    expect(delay.disabled).toBe(false);
    expect(delay.value).toBe('15');
    await user.clear(delay);
    await user.type(delay, '3');
    await user.click(within(dialog).getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText('Paramètres enregistrés');
    expect((await desk.t.desk.getAgentSession({})).lockAfterMinutes).toBe(3);
    expect(desk.calls.filter((c) => c.operation === 'getAgentSession').length).toBeGreaterThanOrEqual(2);
  });
});
