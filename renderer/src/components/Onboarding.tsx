import { useState } from 'react';
import { focusSearch, refreshAfterClientsChanged } from '../actions.ts';
import { call } from '../desk.ts';
import { useT } from '../i18n/index.ts';
import { runReported } from '../report.ts';
import { useToastStore } from '../store/toasts.ts';
import { useWorkspaceStore } from '../store/workspace.ts';

export const demoClientCount = 200;
export const onboardingStartId = 'onboarding-import';

/** An empty workstation offers its two ways in: the agency's CSV file, or demo clients to try. */
export function Onboarding() {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const openDialog = useWorkspaceStore((s) => s.openDialog);

  function seed() {
    if (busy) return;
    setBusy(true);
    runReported(async () => {
      try {
        const { inserted } = await call('seedDemoClients', { count: demoClientCount });
        await refreshAfterClientsChanged();
        useToastStore.getState().push({ kind: 'success', text: t.onboarding.demoDone(inserted) });
        // This panel (and the button that had focus) is gone now: work starts at the search.
        setTimeout(focusSearch, 0);
      } finally {
        setBusy(false);
      }
    });
  }

  return (
    <section className="onboarding card" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">{t.onboarding.title}</h2>
      <p>{t.onboarding.intro}</p>
      <div className="onboarding-actions">
        <button id={onboardingStartId} type="button" className="btn btn-primary" onClick={() => openDialog({ kind: 'import' })}>
          {t.onboarding.importCsv}
        </button>
        <button type="button" className="btn" aria-disabled={busy} onClick={seed}>
          {t.onboarding.demo(demoClientCount)}
        </button>
      </div>
    </section>
  );
}
