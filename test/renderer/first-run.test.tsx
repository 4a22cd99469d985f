// @vitest-environment jsdom
// A new workstation: the agent gives their name, then fills an empty database with demo clients
// or their CSV file (progress, then a per-line report in their language). Also: export, sync
// state in the status bar, and the error boundary.

import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncState } from '../../contract/model.ts';
import { ErrorBoundary } from '../../renderer/src/components/ErrorBoundary.tsx';
import { client, openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { renderApp, renderWorkspace, resetStores, unmountAll } from './helpers/render.tsx';

let desk: TestBridge | undefined;

afterEach(async () => {
  unmountAll();
  vi.restoreAllMocks();
  await desk?.cleanup();
  desk = undefined;
});

describe('first run', () => {
  it('asks the agent’s name and a PIN twice (required), then offers demo clients on an empty database', async () => {
    desk = await openTestBridge({ agentName: null });
    const user = userEvent.setup();
    renderApp(desk);
    const name = await screen.findByLabelText('Votre nom');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    expect(screen.getByRole('alert').textContent).toBe('Saisissez votre nom.');
    await user.type(name, '  Awa Diallo ');
    await user.type(screen.getByLabelText('Code PIN'), '12');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    expect(screen.getByRole('alert').textContent).toBe('Le code PIN doit comporter 4 à 12 chiffres.');
    await user.type(screen.getByLabelText('Code PIN'), '34');
    await user.type(screen.getByLabelText('Confirmez le code PIN'), '1235');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    expect(screen.getByRole('alert').textContent).toBe('Les deux codes PIN ne sont pas identiques.');
    expect(desk.calls.some((c) => c.operation === 'createAgentProfile' || c.operation === 'updateSettings')).toBe(false);

    await user.clear(screen.getByLabelText('Confirmez le code PIN'));
    await user.type(screen.getByLabelText('Confirmez le code PIN'), '1234');
    await user.click(screen.getByRole('button', { name: 'Commencer' }));
    await screen.findByRole('heading', { name: 'Aucun client pour l’instant' });
    expect((await desk.t.desk.getSettings({})).agent?.name).toBe('Awa Diallo');
    expect((await desk.t.desk.getAgentSession({})).profiles).toEqual([{ id: expect.stringMatching(/^local:/), name: 'Awa Diallo', hasPin: true }]);

    await user.click(screen.getByRole('button', { name: 'Charger 200 clients de démonstration' }));
    await screen.findByText('200 clients de démonstration chargés');
    await waitFor(() => expect(screen.getByText('200 clients')).toBeTruthy());
    expect(screen.getAllByRole('option').length).toBeGreaterThan(5);
    expect(screen.queryByRole('heading', { name: 'Aucun client pour l’instant' })).toBeNull();
  });

  it('imports a CSV file with progress and lists rejected lines with their reason', async () => {
    desk = await openTestBridge();
    const user = userEvent.setup();
    renderApp(desk);
    await user.click(await screen.findByRole('button', { name: 'Importer un fichier CSV' }));
    const dialog = await screen.findByRole('dialog', { name: 'Importer des clients' });
    const sample = readFileSync(join(import.meta.dirname, '../fixtures/clients-sample.csv'), 'utf8');
    const withBadLine = `${sample.trimEnd()}\n;Sans Code;;;Paris\n`;
    await user.upload(within(dialog).getByLabelText('Fichier CSV'), new File([withBadLine], 'clients.csv', { type: 'text/csv' }));
    await user.click(within(dialog).getByRole('button', { name: 'Importer' }));

    await within(dialog).findByText('Résultat de l’import');
    const rejected = within(dialog).getByRole('table', { name: 'Lignes refusées' });
    const rows = within(rejected).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.textContent).toContain('code client manquant');
    expect(within(dialog).getByText('Clients ajoutés').nextElementSibling?.textContent).toBe('40');
    // The file went to the worker as a file (its path), not as text through the bridge.
    expect(desk.calls.some((c) => c.operation === 'importClients')).toBe(false);
    const asked = desk.calls.find((c) => c.operation === 'importClientsFile')?.input as { importId: string; path: string };
    expect(asked.path).toMatch(/\.csv$/);
    expect(asked.importId).toMatch(/[0-9a-f-]{36}/);
    expect(within(dialog).getByText('Encodage').nextElementSibling?.textContent).toBe('UTF-8');

    await user.click(within(dialog).getByRole('button', { name: 'Fermer' }));
    await waitFor(() => expect(screen.getByText('40 clients')).toBeTruthy());
  });
});

describe('around the workspace', () => {
  it('shows import progress events that carry its own import id only', async () => {
    desk = await openTestBridge();
    const user = userEvent.setup();
    await renderWorkspace(desk);
    // Hold the import's answer so the progress bar can be observed.
    let release: () => void = () => undefined;
    const real = desk.bridge.api.importClientsFile;
    let asked: { importId?: string } | null = null;
    desk.bridge.api.importClientsFile = async (input) => {
      asked = input;
      await new Promise<void>((r) => (release = r));
      return real(input);
    };
    await user.click(screen.getByRole('button', { name: 'Importer des clients' }));
    const dialog = await screen.findByRole('dialog', { name: 'Importer des clients' });
    await user.upload(within(dialog).getByLabelText('Fichier CSV'), new File(['Code client;Nom\nA1;Alpha\n'], 'a.csv'));
    await user.click(within(dialog).getByRole('button', { name: 'Importer' }));
    const bar = await within(dialog).findByRole('progressbar', { name: 'Progression de l’import' });
    await waitFor(() => expect(asked).not.toBeNull());
    const importId = asked!.importId!;
    desk.emit('importProgress', { importId: 'someone-else', linesRead: 99, bytesRead: 9, bytesTotal: 10 });
    desk.emit('importProgress', { importId, linesRead: 1, bytesRead: 5, bytesTotal: 10 });
    await within(dialog).findByText('1 lignes lues');
    expect(within(dialog).getByRole('progressbar').getAttribute('value')).toBe('5');
    expect(bar).toBeTruthy();
    release();
    await within(dialog).findByText('Résultat de l’import');
  });

  it('exports the history as a downloaded CSV, without navigating', async () => {
    desk = await openTestBridge();
    await desk.addClients([client('C-1', 'ROBERT Karim')]);
    await desk.t.desk.recordAttempt({ clientCode: 'C-1', status: 'success' });
    const user = userEvent.setup();
    await renderWorkspace(desk);
    // jsdom has no Blob URLs: record what would be handed to the browser's download.
    const blobs: Blob[] = [];
    URL.createObjectURL = (blob: Blob) => {
      blobs.push(blob);
      return 'blob:test';
    };
    URL.revokeObjectURL = () => undefined;
    const clicks: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this);
    });
    await user.click(screen.getByRole('button', { name: 'Exporter l’historique' }));
    const dialog = await screen.findByRole('dialog', { name: 'Exporter l’historique' });
    // Excel's workbook is the default; the CSV is beside it.
    expect((within(dialog).getByRole('radio', { name: 'Excel (.xlsx)' }) as HTMLInputElement).checked).toBe(true);
    await user.click(within(dialog).getByRole('radio', { name: 'CSV (séparateur « ; »)' }));
    await user.click(within(dialog).getByRole('button', { name: 'Exporter' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(clicks).toHaveLength(1);
    expect(clicks[0]!.download).toMatch(/\.csv$/);
    const csv = await blobs[0]!.text();
    expect(csv).toContain('ROBERT Karim');
    expect(await screen.findByText(/1 ligne exportée dans/)).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Exporter l’historique' }));
    const again = await screen.findByRole('dialog', { name: 'Exporter l’historique' });
    await user.click(within(again).getByRole('button', { name: 'Exporter' }));
    await waitFor(() => expect(clicks).toHaveLength(2));
    expect(clicks[1]!.download).toMatch(/^historique-notifications_\d{4}-\d{2}-01_au_\d{4}-\d{2}-\d{2}\.xlsx$|^historique-notifications_\d{4}-\d{2}-01\.xlsx$/);
    expect(blobs[1]!.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    // A zip (the workbook), not text.
    expect(new Uint8Array(await blobs[1]!.arrayBuffer()).slice(0, 2)).toEqual(new Uint8Array([0x50, 0x4b]));
  });

  it('shows the sync state pushed by main, pending uploads and rejected ones', async () => {
    desk = await openTestBridge();
    await renderWorkspace(desk);
    const bar = screen.getByRole('status');
    await waitFor(() => expect(bar.textContent).toContain('Poste local (pas de serveur)'));
    const state: SyncState = {
      phase: 'offline',
      serverUrl: 'https://sync.exemple.fr',
      online: false,
      pending: 3,
      deadLetters: 2,
      lastSyncAt: null,
      lastError: null,
      nextAttemptAt: null,
    };
    desk.emit('syncState', state);
    await waitFor(() => expect(bar.textContent).toContain('Hors ligne · 3 en attente'));
    expect(screen.getByRole('button', { name: '2 envois refusés' })).toBeTruthy();
    desk.emit('syncState', { ...state, phase: 'idle', online: true, pending: 0, deadLetters: 0, lastSyncAt: new Date(Date.now() - 5 * 60_000).toISOString() });
    // Intl puts a no-break space inside "5 min": compare words, not space characters.
    await waitFor(() => expect(bar.textContent?.replace(/\s/g, ' ')).toContain('Synchronisé il y a 5 min'));
  });

  it('runs Electron menu commands like the buttons', async () => {
    desk = await openTestBridge();
    await renderWorkspace(desk);
    desk.emit('menuCommand', 'openSettings');
    await screen.findByRole('dialog', { name: 'Paramètres' });
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    desk.emit('menuCommand', 'showShortcuts');
    await screen.findByRole('dialog', { name: 'Raccourcis clavier' });
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // The menu's "À rappeler…" (Alt+R) opens the same worklist as the shortcut.
    desk.emit('menuCommand', 'openCallbacks');
    await screen.findByRole('dialog', { name: 'À rappeler' });
  });
});

describe('error boundary', () => {
  it('replaces a broken view by a message and a Recharger button, never a blank screen', async () => {
    resetStores();
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const reload = vi.fn();
    function Broken(): never {
      throw new Error('render bug');
    }
    const user = userEvent.setup();
    render(
      <ErrorBoundary onReload={reload}>
        <Broken />
      </ErrorBoundary>,
    );
    expect(screen.getByRole('alert').textContent).toContain('Un problème est survenu');
    await user.click(screen.getByRole('button', { name: 'Recharger' }));
    expect(reload).toHaveBeenCalledOnce();
  });
});
