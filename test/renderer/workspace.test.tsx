// @vitest-environment jsdom
// The agent workspace rendered in a DOM over the real domain (SQLite in a temp folder): what an
// agent sees and does, found by accessible names, in French by default.

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { renderWorkspace, unmountAll } from './helpers/render.tsx';

let desk: TestBridge;

beforeEach(async () => {
  desk = await openTestBridge();
  await desk.addClients([
    client('C-0001', 'ROBERT Karim', { phones: ['+33 6 06 09 68 12'] }),
    client('C-0002', 'DIALLO Fatou', { city: 'Dakar' }),
    client('C-0003', 'MARTIN Élodie'),
  ]);
});

afterEach(async () => {
  unmountAll();
  await desk.cleanup();
});

async function openClient(user: ReturnType<typeof userEvent.setup>, name: string) {
  await user.click(await screen.findByRole('option', { name: new RegExp(name) }));
  await screen.findByRole('heading', { level: 2, name });
}

function statusRegion() {
  return screen.getByRole('region', { name: 'Statut de notification' });
}

function history() {
  return screen.getByRole('list', { name: 'Historique des notifications' });
}

describe('agent workspace (French by default)', () => {
  it('labels everything in French and names the record buttons exactly, shortcut hints aside', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    expect(document.documentElement.lang).toBe('fr');
    expect(screen.getByRole('combobox', { name: 'Rechercher un client' })).toBeTruthy();
    const filters = within(screen.getByRole('radiogroup', { name: 'Filtrer par statut' }));
    expect(filters.getAllByRole('radio').map((r) => r.closest('label')?.textContent)).toEqual([
      'Tous',
      'Jamais notifiés',
      'Notifiés',
      'Injoignables',
    ]);
    expect(screen.getByRole('listbox')).toBeTruthy();
    expect(screen.getByRole('banner')).toBeTruthy();
    expect(screen.getByRole('navigation')).toBeTruthy();
    expect(screen.getByRole('main')).toBeTruthy();

    await openClient(user, 'ROBERT Karim');
    const success = screen.getByRole('button', { name: 'Notifier (Succès)' });
    const failure = screen.getByRole('button', { name: 'Notifier (Échec/Injoignable)' });
    // The shortcut is shown on the button without changing its name.
    expect(success.querySelector('kbd')?.textContent).toBe('Alt+S');
    expect(failure.querySelector('kbd')?.textContent).toBe('Alt+E');
    expect(within(statusRegion()).getByText('Jamais notifié')).toBeTruthy();
    // The number in French national form, a tel: link for the softphone, and WhatsApp beside it.
    const call = screen.getByRole('link', { name: '06 06 09 68 12' });
    expect(call.getAttribute('href')).toBe('tel:+33606096812');
    const whatsApp = screen.getByRole('link', { name: 'WhatsApp 06 06 09 68 12' });
    expect(whatsApp.getAttribute('href')).toBe('https://wa.me/33606096812');
    expect(whatsApp.getAttribute('rel')).toContain('noopener');
  });

  it('searches by name fragment, ignoring accents, and opens the row with the keyboard', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    const search = screen.getByRole('combobox', { name: 'Rechercher un client' });
    await user.type(search, 'elodie');
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(1));
    await user.keyboard('{ArrowDown}');
    const option = screen.getByRole('option', { name: /MARTIN Élodie/ });
    expect(option.getAttribute('aria-selected')).toBe('true');
    expect(search.getAttribute('aria-activedescendant')).toBe(option.id);
    await user.keyboard('{Enter}');
    await screen.findByRole('heading', { level: 2, name: 'MARTIN Élodie' });
    expect(document.activeElement).toBe(search); // focus stays where the agent can keep working
  });

  it('records a success in one click: status, count, history, list row and today’s counts change together', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'ROBERT Karim');
    await user.click(screen.getByRole('radio', { name: /WhatsApp/ }));
    await user.type(screen.getByLabelText('Note (facultative)'), 'Rappeler demain');
    await user.click(screen.getByRole('button', { name: 'Notifier (Succès)' }));

    await waitFor(() => expect(within(statusRegion()).getByText('Notifié')).toBeTruthy());
    expect(within(statusRegion()).getByText('1 tentative')).toBeTruthy();
    const entries = within(history()).getAllByRole('listitem');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.textContent).toContain('Notifié');
    expect(entries[0]!.textContent).toContain('par Awa Diallo');
    expect(entries[0]!.textContent).toContain('via WhatsApp');
    expect(entries[0]!.textContent).toContain('Rappeler demain');
    expect((screen.getByLabelText('Note (facultative)') as HTMLTextAreaElement).value).toBe(''); // cleared after a record
    expect(within(screen.getByRole('option', { name: /ROBERT Karim/ })).getByText('Notifié')).toBeTruthy();
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Aujourd’hui : 1 tentative · 1 notifié · 0 injoignable'));
    // The channel is remembered for next time, on the device.
    await waitFor(async () => expect((await desk.t.desk.getSettings({})).lastChannel).toBe('whatsapp'));
    const stored = await desk.t.desk.listHistory({ clientCode: 'C-0001', limit: 10 });
    expect(stored.items.map((a) => [a.status, a.channel, a.note])).toEqual([['success', 'whatsapp', 'Rappeler demain']]);
  });

  it('offers Annuler for 10 s after a record; undoing strikes the entry through and restores the status', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'DIALLO Fatou');
    await user.click(screen.getByRole('button', { name: 'Notifier (Échec/Injoignable)' }));
    const toast = (await screen.findByText('Enregistré : Injoignable — DIALLO Fatou')).closest('.toast') as HTMLElement;
    expect(toast.closest('[aria-live]')).toBeTruthy();
    await waitFor(() => expect(within(statusRegion()).getByText('Injoignable')).toBeTruthy());
    await user.click(within(toast).getByRole('button', { name: 'Annuler' }));

    await waitFor(() => expect(within(statusRegion()).getByText('Jamais notifié')).toBeTruthy());
    const entry = within(history()).getAllByRole('listitem')[0]!;
    expect(entry.querySelector('del')).toBeTruthy();
    expect(entry.textContent).toContain('Annulée par Awa Diallo');
    expect(screen.queryByText('Enregistré : Injoignable — DIALLO Fatou')).toBeNull();
    expect(screen.getByText('Tentative annulée : Injoignable — DIALLO Fatou')).toBeTruthy();
    const stored = await desk.t.desk.listHistory({ clientCode: 'C-0002', limit: 10 });
    expect(stored.items[0]!.void?.kind).toBe('undo');
  });

  it('shows an API refusal in the agent’s language as an alert (undo refused by the domain’s clock)', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'DIALLO Fatou');
    await user.click(screen.getByRole('button', { name: 'Notifier (Succès)' }));
    await screen.findByText('Enregistré : Notifié — DIALLO Fatou');
    desk.t.clock.advance(11_000); // the database's clock has moved past the window; the page's has not
    fireEvent.keyDown(document.body, { key: 'z', code: 'KeyZ', ctrlKey: true });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Le délai d’annulation (10 s) est dépassé');
    expect(within(statusRegion()).getByText('Notifié')).toBeTruthy();
  });
});

describe('keyboard', () => {
  it('Alt+S records even from the note field; 1–5 typed there stay text', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'ROBERT Karim');
    const note = screen.getByLabelText('Note (facultative)');
    await user.click(note);
    await user.keyboard('2 fois');
    expect((note as HTMLTextAreaElement).value).toBe('2 fois');
    expect((screen.getByRole('radio', { name: /Téléphone/ }) as HTMLInputElement).checked).toBe(true);
    expect(desk.calls.filter((c) => c.operation === 'updateSettings')).toEqual([]);

    fireEvent.keyDown(note, { key: 'ß', code: 'KeyS', altKey: true });
    await waitFor(() => expect(within(statusRegion()).getByText('Notifié')).toBeTruthy());
    expect(within(history()).getAllByRole('listitem')[0]!.textContent).toContain('2 fois');
  });

  it('single keys pick the channel outside text fields, and do nothing once switched off', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'ROBERT Karim');
    await user.click(screen.getByRole('heading', { level: 2 }));
    fireEvent.keyDown(document.body, { key: '3', code: 'Digit3' });
    expect((screen.getByRole('radio', { name: /Email/ }) as HTMLInputElement).checked).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Paramètres' }));
    const dialog = await screen.findByRole('dialog', { name: 'Paramètres' });
    const singleKeys = within(dialog).getByRole('checkbox', { name: /Raccourcis à une touche/ });
    expect((singleKeys as HTMLInputElement).checked).toBe(true);
    await user.click(singleKeys);
    await user.click(within(dialog).getByRole('button', { name: 'Enregistrer' }));
    await screen.findByText('Paramètres enregistrés');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    await waitFor(async () => expect((await desk.t.desk.getSettings({})).singleKeyShortcuts).toBe(false));
    fireEvent.keyDown(document.body, { key: '5', code: 'Digit5' });
    fireEvent.keyDown(document.body, { key: '?', code: 'Comma', shiftKey: true });
    expect((screen.getByRole('radio', { name: /Email/ }) as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByRole('dialog')).toBeNull();
    // The modifier version still works.
    fireEvent.keyDown(document.body, { key: '5', code: 'Digit5', altKey: true });
    expect((screen.getByRole('radio', { name: /Visite/ }) as HTMLInputElement).checked).toBe(true);
  });

  it('/ and Ctrl+K focus the search; ? opens the shortcut list; shortcuts are silent behind a dialog', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'ROBERT Karim');
    const search = screen.getByRole('combobox', { name: 'Rechercher un client' });
    (screen.getByRole('button', { name: 'Notifier (Succès)' }) as HTMLElement).focus();
    fireEvent.keyDown(document.activeElement!, { key: '/', code: 'Slash' });
    expect(document.activeElement).toBe(search);
    (screen.getByRole('button', { name: 'Notifier (Succès)' }) as HTMLElement).focus();
    fireEvent.keyDown(document.activeElement!, { key: 'k', code: 'KeyK', ctrlKey: true });
    expect(document.activeElement).toBe(search);

    fireEvent.keyDown(document.body, { key: '?', code: 'Comma', shiftKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'Raccourcis clavier' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(within(dialog).getByText('Notifier (Échec/Injoignable)')).toBeTruthy();
    fireEvent.keyDown(dialog, { key: 's', code: 'KeyS', altKey: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(desk.calls.filter((c) => c.operation === 'recordAttempt')).toEqual([]);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });
});

describe('void dialog', () => {
  it('requires a reason, then voids the attempt and shows who, when and why', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'MARTIN Élodie');
    await user.click(screen.getByRole('button', { name: 'Notifier (Succès)' }));
    await waitFor(() => expect(within(history()).getAllByRole('listitem')).toHaveLength(1));

    await user.click(within(history()).getByRole('button', { name: 'Annuler la tentative…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Annuler la tentative' });
    expect(document.activeElement).toBe(within(dialog).getByLabelText('Motif de l’annulation (obligatoire)'));
    await user.click(within(dialog).getByRole('button', { name: 'Confirmer l’annulation' }));
    expect(within(dialog).getByRole('alert').textContent).toContain('Indiquez un motif');
    expect(desk.calls.filter((c) => c.operation === 'voidAttempt')).toEqual([]);

    // Tab stays inside the dialog.
    for (let i = 0; i < 4; i++) await user.tab();
    expect(dialog.contains(document.activeElement)).toBe(true);

    await user.type(within(dialog).getByLabelText('Motif de l’annulation (obligatoire)'), 'Mauvais client');
    await user.click(within(dialog).getByRole('button', { name: 'Confirmer l’annulation' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const entry = within(history()).getAllByRole('listitem')[0]!;
    expect(entry.querySelector('del')).toBeTruthy();
    expect(entry.textContent).toMatch(/Annulée par Awa Diallo le .+ : Mauvais client/);
    expect(within(statusRegion()).getByText('Jamais notifié')).toBeTruthy();
    expect(within(entry).queryByRole('button', { name: 'Annuler la tentative…' })).toBeNull();
  });
});

describe('language', () => {
  it('switches to English from the settings and persists it', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'ROBERT Karim');
    await user.click(screen.getByRole('button', { name: 'Paramètres' }));
    const dialog = await screen.findByRole('dialog', { name: 'Paramètres' });
    await user.click(within(dialog).getByRole('radio', { name: 'English' }));
    await user.click(within(dialog).getByRole('button', { name: 'Enregistrer' }));
    await screen.findByRole('dialog', { name: 'Settings' });
    await user.keyboard('{Escape}');

    expect(document.documentElement.lang).toBe('en');
    expect(screen.getByRole('combobox', { name: 'Search for a client' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Notify (Success)' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Notify (Failure/Unreachable)' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Notification status' }).textContent).toContain('Never notified');
    expect((await desk.t.desk.getSettings({})).locale).toBe('en');
  });
});

describe('a note the stores cannot keep', () => {
  it('is said in the field as it is pasted, and the click is refused with the same words, recording nothing', async () => {
    const user = userEvent.setup();
    await renderWorkspace(desk);
    await openClient(user, 'DIALLO Fatou');
    const note = screen.getByRole('textbox', { name: 'Note (facultative)' });
    // fireEvent: a paste of text carrying U+0000, which a keyboard cannot type.
    fireEvent.change(note, { target: { value: 'Rappeler\u0000 à 14 h' } });
    const alert = await screen.findByText(/La note contient un caractère qui ne peut pas être enregistré \(U\+0000/);
    expect(note.getAttribute('aria-invalid')).toBe('true');
    expect(note.getAttribute('aria-describedby')).toBe(alert.id);
    await user.click(screen.getByRole('button', { name: 'Notifier (Succès)' }));
    await screen.findByText(/Le champ « note » contient un caractère qui ne peut pas être enregistré \(U\+0000/);
    expect(within(statusRegion()).queryByText('Notifié')).toBeNull();
    fireEvent.change(note, { target: { value: 'Rappeler à 14 h' } });
    await waitFor(() => expect(note.getAttribute('aria-invalid')).toBe('false'));
  });
});
