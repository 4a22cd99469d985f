// @vitest-environment jsdom
// The database worker restarted under the agent: a toast says a click in flight may not have been
// saved, and once it answers again the list is read again.

import { screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import { client, openTestBridge, type TestBridge } from './helpers/desk-bridge.ts';
import { renderApp, unmountAll } from './helpers/render.tsx';

let desk: TestBridge | undefined;

afterEach(async () => {
  unmountAll();
  await desk?.cleanup();
  desk = undefined;
});

it('tells the agent the database service restarted, then that it answers again, and reads the list again', async () => {
  desk = await openTestBridge();
  await desk.addClients([client('C-1', 'BERNARD Gaëlle')]);
  renderApp(desk);
  await screen.findByText('BERNARD Gaëlle');

  desk.emit('databaseState', { status: 'restarting', restarts: 1, message: null });
  expect((await screen.findByRole('alert')).textContent).toContain('Le service de la base locale a redémarré');

  const searchesBefore = desk.calls.filter((c) => c.operation === 'searchClients').length;
  await desk.addClients([client('C-2', 'CAMARA Zoé')]);
  desk.emit('databaseState', { status: 'ready', restarts: 1, message: null });
  await screen.findByText('La base locale répond de nouveau.');
  await waitFor(() => expect(desk!.calls.filter((c) => c.operation === 'searchClients').length).toBeGreaterThan(searchesBefore));
  await screen.findByText('CAMARA Zoé');
});
