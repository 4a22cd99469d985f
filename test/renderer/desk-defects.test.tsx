// @vitest-environment jsdom
// Defects found working a whole day at the desk (issue 12 §4–5), each held by a test: where focus
// goes and what is announced, what a confirmation says and for whom, Ctrl+Z's answers, the list's
// tell-apart detail, an empty base, phone numbers and their links.

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { client, openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { renderApp, renderWorkspace, unmountAll } from './helpers/render.tsx';
import { phoneView, telHref, whatsAppHref } from '../../renderer/src/phone.ts';
import { useWorkspaceStore } from '../../renderer/src/store/workspace.ts';

let desk: TestBridge | undefined;

afterEach(async () => {
  unmountAll();
  await desk?.cleanup();
  desk = undefined;
});

async function openClient(user: ReturnType<typeof userEvent.setup>, name: string) {
  await user.click(await screen.findByRole('option', { name: new RegExp(name) }));
  await screen.findByRole('heading', { level: 2, name });
}

const search = () => screen.getByRole('combobox', { name: 'Rechercher un client' });

describe('focus and announcements', () => {
  it('after the first-run name and PIN, focus lands on the onboarding’s first action; after demo clients, on the search', async () => {
    desk = await openTestBridge({ agentName: null });
    const user = userEvent.setup();
    renderApp(desk);
    await user.type(await screen.findByLabelText('Votre nom'), 'Awa Diallo');
    await user.type(screen.getByLabelText('Code PIN'), '1234');
    await user.type(screen.getByLabelText('Confirmez le code PIN'), '1234');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    const importButton = await screen.findByRole('button', { name: 'Importer un fichier CSV' });
    await waitFor(() => expect(document.activeElement).toBe(importButton));

    await user.click(screen.getByRole('button', { name: 'Charger 200 clients de démonstration' }));
    await screen.findByText('200 clients de démonstration chargés');
    await waitFor(() => expect(document.activeElement).toBe(search()));
  });

  it('the import summary takes the focus, is announced, and Escape closes it', async () => {
    desk = await openTestBridge();
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await user.click(screen.getByRole('button', { name: 'Importer un fichier CSV' }));
    const dialog = await screen.findByRole('dialog', { name: 'Importer des clients' });
    await user.upload(within(dialog).getByLabelText('Fichier CSV'), new File(['Code client;Nom\nA1;Alpha\nA2;Beta\n;Sans code\n'], 'a.csv'));
    await user.click(within(dialog).getByRole('button', { name: 'Importer' }));
    const heading = await within(dialog).findByRole('heading', { name: 'Résultat de l’import' });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    const live = dialog.querySelector('[aria-live="polite"]');
    expect(live?.textContent).toBe('Import terminé : 3 lignes lues, 2 clients ajoutés, 0 mis à jour, 1 ligne refusée.');

    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // The onboarding button that opened it is gone (the base is no longer empty): focus goes to the search.
    await waitFor(() => expect(document.activeElement).toBe(search()));
  });

  it('Escape closes a dialog even when focus has fallen out of it', async () => {
    desk = await openTestBridge();
    await desk.addClients([client('C-1', 'ROBERT Karim')]);
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await user.click(screen.getByRole('button', { name: 'Exporter l’historique' }));
    await screen.findByRole('dialog', { name: 'Exporter l’historique' });
    (document.activeElement as HTMLElement).blur();
    fireEvent.keyDown(document.body, { key: 'Escape', code: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('after a void, focus goes to the client’s name (the entry’s button is gone) and the confirmation names the client', async () => {
    desk = await openTestBridge();
    await desk.addClients([client('C-1', 'LEFÈVRE Hélène')]);
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'LEFÈVRE Hélène');
    await user.click(screen.getByRole('button', { name: 'Notifier (Échec/Injoignable)' }));
    const history = screen.getByRole('list', { name: 'Historique des notifications' });
    await waitFor(() => expect(within(history).getAllByRole('listitem')).toHaveLength(1));
    await user.click(within(history).getByRole('button', { name: 'Annuler la tentative…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Annuler la tentative' });
    await user.type(within(dialog).getByLabelText('Motif de l’annulation (obligatoire)'), 'Mauvais client');
    await user.click(within(dialog).getByRole('button', { name: 'Confirmer l’annulation' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { level: 2, name: 'LEFÈVRE Hélène' })));
    expect(screen.getByText('Tentative annulée : Injoignable — LEFÈVRE Hélène').closest('[aria-live]')).toBeTruthy();
  });

  it('Settings in English: focus starts on the checked language, not on “Français”', async () => {
    desk = await openTestBridge();
    await desk.t.desk.updateSettings({ locale: 'en' });
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await user.click(screen.getByRole('button', { name: 'Settings' }));
    const dialog = await screen.findByRole('dialog', { name: 'Settings' });
    expect(document.activeElement).toBe(within(dialog).getByRole('radio', { name: 'English' }));
  });
});

describe('what the confirmation and Ctrl+Z say', () => {
  it('says what was recorded for whom; Ctrl+Z on another client’s file undoes nothing and says whose it is', async () => {
    desk = await openTestBridge();
    await desk.addClients([client('C-1', 'LEFÈVRE Hélène'), client('C-2', 'ROBERT Karim')]);
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'LEFÈVRE Hélène');
    await user.click(screen.getByRole('button', { name: 'Notifier (Échec/Injoignable)' }));
    const toast = (await screen.findByText('Enregistré : Injoignable — LEFÈVRE Hélène')).closest('.toast') as HTMLElement;
    expect(toast.closest('[aria-live]')).toBeTruthy();

    await openClient(user, 'ROBERT Karim');
    (screen.getByRole('heading', { level: 2 }) as HTMLElement).focus();
    fireEvent.keyDown(document.body, { key: 'z', code: 'KeyZ', ctrlKey: true });
    await screen.findByText(/Ctrl\+Z n’annule que sur la fiche du client : la dernière tentative concerne LEFÈVRE Hélène/);
    expect(desk.calls.filter((c) => c.operation === 'undoAttempt')).toEqual([]);
    // In the search field Ctrl+Z keeps undoing the typing (not prevented) and still says it.
    const event = new KeyboardEvent('keydown', { key: 'z', code: 'KeyZ', ctrlKey: true, bubbles: true, cancelable: true });
    search().dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
    // The toast's own button names its client and undoes from any file.
    await user.click(within(toast).getByRole('button', { name: 'Annuler' }));
    await screen.findByText('Tentative annulée : Injoignable — LEFÈVRE Hélène');
    expect(desk.calls.filter((c) => c.operation === 'undoAttempt')).toHaveLength(1);
  });

  it('Ctrl+Z after the window says that the window has passed', async () => {
    desk = await openTestBridge();
    await desk.addClients([client('C-1', 'LEFÈVRE Hélène')]);
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'LEFÈVRE Hélène');
    await user.click(screen.getByRole('button', { name: 'Notifier (Succès)' }));
    await screen.findByText('Enregistré : Notifié — LEFÈVRE Hélène');
    // The window closes by its timer, as after 10 s.
    const undo = useWorkspaceStore.getState().undo!;
    useWorkspaceStore.setState({ undo: null, pastUndo: { ...undo, expiresAt: Date.now() - 1 } });
    (screen.getByRole('heading', { level: 2 }) as HTMLElement).focus();
    fireEvent.keyDown(document.body, { key: 'z', code: 'KeyZ', ctrlKey: true });
    await screen.findByText(/Le délai d’annulation \(10 s\) est passé pour LEFÈVRE Hélène/);
    expect(desk.calls.filter((c) => c.operation === 'undoAttempt')).toEqual([]);
  });
});

describe('the list', () => {
  it('tells namesakes apart by city and the phone’s last digits', async () => {
    desk = await openTestBridge();
    await desk.addClients([
      client('C-1', 'ANDRÉ Aïcha', { city: 'Lyon', phones: ['+33 6 12 34 56 78'] }),
      client('C-2', 'ANDRÉ Aïcha', { city: 'Lyon', phones: ['06 98 76 54 32'] }),
      client('C-3', 'ANDRÉ Aïcha', { city: null, phones: [] }),
    ]);
    await renderWorkspace(desk);
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(3));
    const texts = screen.getAllByRole('option').map((o) => o.textContent);
    expect(texts[0]).toContain('Lyon · tél. …56 78');
    expect(texts[1]).toContain('Lyon · tél. …54 32');
    expect(texts[2]).not.toContain('tél.');
  });

  it('on an empty base says the base is empty, not that no client matches', async () => {
    desk = await openTestBridge();
    await renderWorkspace(desk);
    await screen.findByText(/La base ne contient encore aucun client/);
    expect(screen.queryByText('Aucun client ne correspond à cette recherche.')).toBeNull();
    expect(screen.getByRole('button', { name: 'Importer un fichier CSV' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Charger 200 clients de démonstration' })).toBeTruthy();
  });
});

describe('phone numbers', () => {
  it('show French numbers in national form, others in international form, with their links', () => {
    for (const written of ['+33 6 12 34 56 78', '+33612345678', '0033 6 12 34 56 78', '+33 (0)6 12 34 56 78', '06.12.34.56.78', '0612345678']) {
      const view = phoneView(written);
      expect(view.text, written).toBe('06 12 34 56 78');
      expect(telHref(view)).toBe('tel:+33612345678');
      expect(whatsAppHref(view)).toBe('https://wa.me/33612345678');
    }
    const uk = phoneView('0044 20 7946 0958');
    expect([uk.text, telHref(uk), whatsAppHref(uk)]).toEqual(['+44 20 7946 0958', 'tel:+442079460958', 'https://wa.me/442079460958']);
    const senegal = phoneView('+221 77 123 45 67');
    expect([senegal.text, telHref(senegal)]).toEqual(['+221 77 123 45 67', 'tel:+221771234567']);
    // Without its country: as written, dialled as written, no WhatsApp (its country is unknown).
    const local = phoneView('77 123 45 67');
    expect([local.text, telHref(local), whatsAppHref(local)]).toEqual(['77 123 45 67', 'tel:771234567', null]);
  });
});
