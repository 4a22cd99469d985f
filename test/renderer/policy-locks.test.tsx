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
});
