import { useState } from 'react';
import type { Locale } from '../../../contract/errors.ts';
import { limits } from '../../../contract/limits.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { runReported } from '../report.ts';
import { searchInputId } from '../actions.ts';
import { useSettingsStore } from '../store/settings.ts';
import { onboardingStartId } from './Onboarding.tsx';

/** First start on this workstation: who is the agent? Their name goes with every attempt. */
export function FirstRun() {
  const t = useT();
  const locale = useLocale();
  const [name, setName] = useState('');
  const [missing, setMissing] = useState(false);
  const update = useSettingsStore((s) => s.update);

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const agentName = name.trim();
    if (!agentName) {
      setMissing(true);
      return;
    }
    runReported(async () => {
      const saved = await update({ agentName });
      // This form (and its focused button) gives way to the workspace: focus goes where work starts,
      // the onboarding's first choice on an empty base, else the search.
      setTimeout(() => {
        const start = saved.clientCount === 0 ? document.getElementById(onboardingStartId) : null;
        (start ?? document.getElementById(searchInputId))?.focus();
      }, 0);
    });
  }

  return (
    <main className="first-run">
      <form className="card" onSubmit={submit} noValidate>
        <h1>{t.firstRun.title}</h1>
        <p>{t.firstRun.intro}</p>
        <label htmlFor="agent-name">{t.firstRun.name}</label>
        <input
          id="agent-name"
          autoFocus
          autoComplete="name"
          maxLength={limits.agentName}
          value={name}
          aria-invalid={missing}
          aria-describedby={missing ? 'agent-name-error' : undefined}
          onChange={(e) => {
            setName(e.target.value);
            setMissing(false);
          }}
        />
        {missing && (
          <p id="agent-name-error" className="field-error" role="alert">
            {t.firstRun.nameRequired}
          </p>
        )}
        <label htmlFor="first-run-locale">{t.settingsDialog.language}</label>
        <select
          id="first-run-locale"
          value={locale}
          onChange={(e) => runReported(() => update({ locale: e.target.value as Locale }))}
        >
          <option value="fr">{t.settingsDialog.languages.fr}</option>
          <option value="en">{t.settingsDialog.languages.en}</option>
        </select>
        <button type="submit" className="btn btn-primary">
          {t.firstRun.submit}
        </button>
      </form>
    </main>
  );
}
