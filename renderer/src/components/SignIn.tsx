// The sign-in screen of a shared workstation ("Agent", "Code PIN", "Se connecter", "Nouvel agent")
// and the lock screen ("Session verrouillée"), which asks the same PIN of the agent still signed in.
// A desk enrolled with a device code (session.server) signs agents in against the server instead:
// "Agent" is a login (those who signed in here are offered), "Code PIN" or "Mot de passe" per site.

import { useState } from 'react';
import type { AgentProfileView, ServerSignInView } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';
import { messageOf } from '../desk.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { useSessionStore } from '../store/session.ts';
import { useSettingsStore } from '../store/settings.ts';
import { FirstRun, pinPattern } from './FirstRun.tsx';

/** Nobody is signed in: pick a profile and give its PIN, or add a new agent. */
export function SignInGate() {
  const profiles = useSessionStore((s) => s.session?.profiles ?? []);
  const server = useSessionStore((s) => s.session?.server);
  const [adding, setAdding] = useState(false);
  if (server) return <ServerSignIn server={server} />;
  if (profiles.length === 0) return <FirstRun />;
  if (adding) return <FirstRun onBack={() => setAdding(false)} />;
  return <SignIn profiles={profiles} onNewAgent={() => setAdding(true)} />;
}

function SignIn({ profiles, onNewAgent }: { profiles: AgentProfileView[]; onNewAgent: () => void }) {
  const t = useT();
  const [profileId, setProfileId] = useState(profiles[0]!.id);
  const profile = profiles.find((p) => p.id === profileId) ?? profiles[0]!;
  return (
    <main className="first-run">
      <PinForm
        title={t.signIn.title}
        intro={t.signIn.intro}
        profile={profile}
        submitLabel={t.signIn.submit}
        picker={
          <>
            <label htmlFor="sign-in-agent">{t.signIn.agent}</label>
            <select id="sign-in-agent" autoFocus value={profile.id} onChange={(e) => setProfileId(e.target.value)}>
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </>
        }
        extra={
          <button type="button" className="btn" onClick={onNewAgent}>
            {t.signIn.newAgent}
          </button>
        }
      />
    </main>
  );
}

/** The agent is still signed in but stepped away: their PIN unlocks, or another agent takes over. */
export function LockScreen() {
  const t = useT();
  const agent = useSettingsStore((s) => s.settings?.agent);
  const profiles = useSessionStore((s) => s.session?.profiles ?? []);
  const server = useSessionStore((s) => s.session?.server);
  if (!agent) return null;
  if (server?.login) return <ServerSignIn server={server} locked={{ name: agent.name, login: server.login }} />;
  const profile = profiles.find((p) => p.id === agent.id) ?? { id: agent.id, name: agent.name, hasPin: true };
  return (
    <main className="first-run">
      <PinForm
        title={t.lock.title}
        intro={t.lock.intro(agent.name)}
        profile={profile}
        submitLabel={t.lock.unlock}
        autoFocus
        extra={<SwitchAgentButton />}
      />
    </main>
  );
}

function PinForm(props: {
  title: string;
  intro: string;
  profile: AgentProfileView;
  submitLabel: string;
  picker?: React.ReactNode;
  extra?: React.ReactNode;
  autoFocus?: boolean;
}) {
  const t = useT();
  const locale = useLocale();
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const choosing = !props.profile.hasPin;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (!pinPattern.test(pin)) return setProblem(t.firstRun.pinInvalid);
    if (choosing && confirm !== pin) return setProblem(t.firstRun.pinMismatch);
    setBusy(true);
    useSessionStore
      .getState()
      .signIn(props.profile.id, pin, choosing ? confirm : undefined)
      .catch((error: unknown) => {
        setProblem(messageOf(error, locale));
        setPin('');
        setConfirm('');
        setBusy(false);
      });
  }

  return (
    <form className="card" onSubmit={submit} noValidate>
      <h1>{props.title}</h1>
      <p>{props.intro}</p>
      {props.picker}
      <label htmlFor="sign-in-pin">{t.signIn.pin}</label>
      <input
        id="sign-in-pin"
        type="password"
        inputMode="numeric"
        autoComplete="current-password"
        autoFocus={props.autoFocus}
        maxLength={limits.pinMax}
        value={pin}
        aria-invalid={problem !== null}
        aria-describedby={[problem ? 'sign-in-error' : null, choosing ? 'sign-in-choose' : null].filter(Boolean).join(' ') || undefined}
        onChange={(e) => {
          setPin(e.target.value);
          setProblem(null);
        }}
      />
      {choosing && (
        <>
          <p id="sign-in-choose" className="muted">
            {t.signIn.choosePin}
          </p>
          <label htmlFor="sign-in-pin-confirm">{t.firstRun.pinConfirm}</label>
          <input
            id="sign-in-pin-confirm"
            type="password"
            inputMode="numeric"
            autoComplete="new-password"
            maxLength={limits.pinMax}
            value={confirm}
            onChange={(e) => {
              setConfirm(e.target.value);
              setProblem(null);
            }}
          />
        </>
      )}
      {problem && (
        <p id="sign-in-error" className="field-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" className="btn btn-primary" aria-disabled={busy}>
        {props.submitLabel}
      </button>
      {props.extra}
    </form>
  );
}

/**
 * Sign-in (or unlock) against the server. The secret is never checked for format here: a wrong one is
 * simply wrong, and the answer (from the server, or offline from this desk's verifier) says so.
 */
function ServerSignIn({ server, locked }: { server: ServerSignInView; locked?: { name: string; login: string } }) {
  const t = useT();
  const locale = useLocale();
  const [login, setLogin] = useState(locked?.login ?? '');
  const [secret, setSecret] = useState('');
  const [problem, setProblem] = useState<{ field: 'login' | 'secret'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const secretLabel = server.secretKind === 'password' ? t.signIn.password : t.signIn.pin;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (!login.trim()) return setProblem({ field: 'login', text: t.signIn.loginRequired });
    if (!secret) return setProblem({ field: 'secret', text: t.signIn.secretRequired(server.secretKind) });
    setBusy(true);
    useSessionStore
      .getState()
      .signInAgent(login.trim(), secret)
      .catch((error: unknown) => {
        setProblem({ field: 'secret', text: messageOf(error, locale) });
        setSecret('');
        setBusy(false);
      });
  }

  return (
    <main className="first-run">
      <form className="card" onSubmit={submit} noValidate aria-busy={busy}>
        <h1>{locked ? t.lock.title : t.signIn.title}</h1>
        <p>{locked ? t.lock.serverIntro(locked.name, server.secretKind) : t.signIn.serverIntro(server.secretKind)}</p>
        {!locked && (
          <>
            <label htmlFor="sign-in-login">{t.signIn.agent}</label>
            <input
              id="sign-in-login"
              type="text"
              autoFocus
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              list="sign-in-known-agents"
              maxLength={limits.login}
              value={login}
              aria-invalid={problem?.field === 'login'}
              aria-describedby={['sign-in-login-hint', problem?.field === 'login' ? 'sign-in-error' : null].filter(Boolean).join(' ')}
              onChange={(e) => {
                setLogin(e.target.value);
                setProblem(null);
              }}
            />
            <p id="sign-in-login-hint" className="muted">
              {t.signIn.loginHint}
            </p>
            <datalist id="sign-in-known-agents">
              {server.agents.map((a) => (
                <option key={a.login} value={a.login}>
                  {a.name}
                </option>
              ))}
            </datalist>
          </>
        )}
        <label htmlFor="sign-in-secret">{secretLabel}</label>
        <input
          id="sign-in-secret"
          type="password"
          inputMode={server.secretKind === 'pin' ? 'numeric' : undefined}
          autoComplete="current-password"
          autoFocus={locked !== undefined}
          maxLength={server.secretKind === 'pin' ? limits.agentPinMax : limits.agentPasswordMax * 2}
          value={secret}
          aria-invalid={problem?.field === 'secret'}
          aria-describedby={problem?.field === 'secret' ? 'sign-in-error' : undefined}
          onChange={(e) => {
            setSecret(e.target.value);
            setProblem(null);
          }}
        />
        {problem && (
          <p id="sign-in-error" className="field-error" role="alert">
            {problem.text}
          </p>
        )}
        <button type="submit" className="btn btn-primary" aria-disabled={busy}>
          {busy ? t.signIn.busy : locked ? t.lock.unlock : t.signIn.submit}
        </button>
        {locked && <SwitchAgentButton />}
      </form>
    </main>
  );
}

/** "Changer d'agent" on a lock screen: signs the locked agent out; a failure is said beside it. */
function SwitchAgentButton() {
  const t = useT();
  const locale = useLocale();
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <>
      <button type="button" className="btn" onClick={() => useSessionStore.getState().signOut().catch((error: unknown) => setFailure(messageOf(error, locale)))}>
        {t.lock.switchAgent}
      </button>
      {failure && (
        <p className="field-error" role="alert">
          {failure}
        </p>
      )}
    </>
  );
}
