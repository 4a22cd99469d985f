// Renders the whole interface over a TestBridge and resets the stores between tests.

import { cleanup, render, screen, type RenderResult } from '@testing-library/react';
import { App } from '../../../renderer/src/App.tsx';
import { ErrorBoundary } from '../../../renderer/src/components/ErrorBoundary.tsx';
import { useClockStore } from '../../../renderer/src/store/clock.ts';
import { useFileStore } from '../../../renderer/src/store/file.ts';
import { useSearchStore } from '../../../renderer/src/store/search.ts';
import { useSessionStore } from '../../../renderer/src/store/session.ts';
import { useSettingsStore } from '../../../renderer/src/store/settings.ts';
import { useSyncStore } from '../../../renderer/src/store/sync.ts';
import { useToastStore } from '../../../renderer/src/store/toasts.ts';
import { useTodayStore } from '../../../renderer/src/store/today.ts';
import { useWorkspaceStore } from '../../../renderer/src/store/workspace.ts';
import type { TestBridge } from './desk-bridge.ts';

export function resetStores(): void {
  for (const store of [useClockStore, useFileStore, useSearchStore, useSettingsStore, useSessionStore, useSyncStore, useToastStore, useTodayStore, useWorkspaceStore]) {
    (store as { setState(s: unknown, replace: true): void; getInitialState(): unknown }).setState(store.getInitialState(), true);
  }
  useClockStore.setState({ now: Date.now() });
}

export function installBridge(test: TestBridge): void {
  window.desk = test.bridge;
}

export function renderApp(test: TestBridge): RenderResult {
  resetStores();
  installBridge(test);
  return render(
    <ErrorBoundary>
      <App />
    </ErrorBoundary>,
  );
}

/** The workspace is ready when the first page of clients has been drawn. */
export async function renderWorkspace(test: TestBridge): Promise<RenderResult> {
  const result = renderApp(test);
  await screen.findByRole('combobox', { name: /Rechercher un client|Search for a client/ });
  return result;
}

export function unmountAll(): void {
  cleanup();
  document.documentElement.lang = 'fr';
}
