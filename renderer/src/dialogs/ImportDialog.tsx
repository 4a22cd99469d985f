import { useEffect, useRef, useState } from 'react';
import type { ImportProgress, ImportReport } from '../../../contract/model.ts';
import { refreshAfterClientsChanged } from '../actions.ts';
import { Modal } from '../components/Modal.tsx';
import { ApiError, bridge, call, messageOf } from '../desk.ts';
import { formatNumber } from '../format.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { reportError } from '../report.ts';
import { FormFooter } from '../components/FormFooter.tsx';

type Phase =
  | { kind: 'choose' }
  | { kind: 'running'; importId: string; progress: ImportProgress | null; stopping: boolean }
  | { kind: 'done'; report: ImportReport };

function newImportId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `import-${Date.now()}`;
}

export function ImportDialog({ onClose }: { onClose(): void }) {
  const t = useT();
  const locale = useLocale();
  const fileRef = useRef<HTMLInputElement>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'choose' });
  const [failure, setFailure] = useState<string | null>(null);
  const unsubscribe = useRef<(() => void) | null>(null);
  const running = phase.kind === 'running' ? phase : null;

  useEffect(() => () => unsubscribe.current?.(), []);

  async function start(e: React.FormEvent) {
    e.preventDefault();
    if (phase.kind === 'running') return;
    const file = fileRef.current?.files?.[0];
    if (!file) {
      setFailure(t.importDialog.chooseFile);
      return;
    }
    setFailure(null);
    const importId = newImportId();
    setPhase({ kind: 'running', importId, progress: null, stopping: false });
    unsubscribe.current?.();
    unsubscribe.current = bridge().on('importProgress', (progress) => {
      if (progress.importId === importId) setPhase((p) => (p.kind === 'running' ? { ...p, progress } : p));
    });
    try {
      // The file itself goes to the database worker (its path, or the web bridge's upload), never its
      // text: a file of any size streams from disk, in any of the encodings Excel writes.
      const result = await bridge().importFile(file, importId);
      if (!result.ok) throw new ApiError(result.error);
      setPhase({ kind: 'done', report: result.value });
      refreshAfterClientsChanged().catch(reportError);
    } catch (error) {
      setFailure(messageOf(error, locale));
      setPhase({ kind: 'choose' });
    } finally {
      unsubscribe.current?.();
      unsubscribe.current = null;
    }
  }

  /** Stops after the chunk in progress, which commits: the summary then says how far it got. */
  function cancel() {
    if (!running || running.stopping) return;
    setPhase({ ...running, stopping: true });
    call('cancelImport', { importId: running.importId }).catch(reportError);
  }

  const announcement = phase.kind === 'done' ? announce(t, phase.report) : '';
  return (
    // While it runs, Escape stops the import rather than hiding it.
    <Modal title={t.importDialog.title} onClose={running ? cancel : onClose} wide>
      {/* There from the start, so the result is announced when it fills in. */}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {phase.kind === 'done' ? (
        <ImportSummary report={phase.report} onClose={onClose} />
      ) : (
        <form onSubmit={start} noValidate>
          <p>{t.importDialog.intro}</p>
          <label htmlFor="import-file">{t.importDialog.file}</label>
          <input id="import-file" ref={fileRef} type="file" accept=".csv,.txt,text/csv,text/plain" disabled={running !== null} />
          {running ? (
            <ImportRunning progress={running.progress} stopping={running.stopping} onCancel={cancel} />
          ) : (
            <FormFooter failure={failure} cancelLabel={t.importDialog.close} submitLabel={t.importDialog.start} busy={false} onCancel={onClose} />
          )}
        </form>
      )}
    </Modal>
  );
}

function announce(t: ReturnType<typeof useT>, report: ImportReport): string {
  const parts = [
    report.cancelled ? t.importDialog.cancelled(report.total) : t.importDialog.announce(report.total, report.inserted, report.updated, report.rejected.length),
  ];
  if (report.lookalikes) parts.push(t.importDialog.lookalikes(report.lookalikes.count));
  return parts.join(' ');
}

function ImportRunning({ progress, stopping, onCancel }: { progress: ImportProgress | null; stopping: boolean; onCancel(): void }) {
  const t = useT();
  const cancelRef = useRef<HTMLButtonElement>(null);
  // The file input is disabled now: focus goes to the one thing left to do, so Enter or Escape stop it.
  useEffect(() => cancelRef.current?.focus(), []);
  return (
    <div className="import-progress">
      {progress && progress.bytesTotal > 0 ? (
        <progress aria-label={t.importDialog.progress} max={progress.bytesTotal} value={progress.bytesRead} />
      ) : (
        <progress aria-label={t.importDialog.progress} />
      )}
      <p aria-live="polite" className="muted">
        {stopping ? t.importDialog.cancelling : progress ? t.importDialog.linesRead(progress.linesRead) : t.importDialog.reading}
      </p>
      <div className="dialog-actions">
        <button ref={cancelRef} type="button" className="btn" onClick={onCancel} aria-disabled={stopping}>
          {t.importDialog.cancel}
        </button>
      </div>
    </div>
  );
}

function ImportSummary({ report, onClose }: { report: ImportReport; onClose(): void }) {
  const t = useT();
  const locale = useLocale();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The form (and the button that had focus) is gone: focus goes to the result, so Escape and Tab
  // keep working in the dialog and a screen reader reads where it is.
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <div>
      <h3 ref={headingRef} tabIndex={-1}>
        {t.importDialog.summary}
      </h3>
      {report.cancelled && <p role="status">{t.importDialog.cancelled(report.total)}</p>}
      <dl className="import-figures">
        {report.encoding && (
          <div className="dl-row">
            <dt>{t.importDialog.encoding}</dt>
            <dd>{t.importDialog.encodings[report.encoding]}</dd>
          </div>
        )}
        <div className="dl-row">
          <dt>{t.importDialog.total}</dt>
          <dd>{formatNumber(t, report.total)}</dd>
        </div>
        <div className="dl-row">
          <dt>{t.importDialog.inserted}</dt>
          <dd>{formatNumber(t, report.inserted)}</dd>
        </div>
        <div className="dl-row">
          <dt>{t.importDialog.updated}</dt>
          <dd>{formatNumber(t, report.updated)}</dd>
        </div>
        <div className="dl-row">
          <dt>{t.importDialog.rejected}</dt>
          <dd>{formatNumber(t, report.rejected.length)}</dd>
        </div>
      </dl>
      {report.lookalikes && (
        <div className="import-lookalikes">
          <p>{t.importDialog.lookalikes(report.lookalikes.count)}</p>
          <ul>
            {report.lookalikes.examples.map((l) => (
              <li key={`${l.line}-${l.code}`} className="mono">
                {t.importDialog.lookalike(l.code, l.other, l.line)}
              </li>
            ))}
          </ul>
          {report.lookalikes.count > report.lookalikes.examples.length && (
            <p className="muted">{t.importDialog.lookalikesMore(report.lookalikes.count - report.lookalikes.examples.length)}</p>
          )}
        </div>
      )}
      {report.rejected.length > 0 && (
        <div className="table-scroll" tabIndex={0} aria-labelledby="rejected-caption">
          <table className="rejected-table">
            <caption id="rejected-caption">{t.importDialog.rejected}</caption>
            <thead>
              <tr>
                <th scope="col">{t.importDialog.line}</th>
                <th scope="col">{t.importDialog.reason}</th>
              </tr>
            </thead>
            <tbody>
              {report.rejected.map((line) => (
                <tr key={`${line.line}-${line.code}`}>
                  <td className="mono">{line.line}</td>
                  <td>{line.message[locale]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {report.rejectedTruncated && <p className="muted">{t.importDialog.truncated}</p>}
      <div className="dialog-actions">
        <button type="button" className="btn btn-primary" onClick={onClose}>
          {t.importDialog.close}
        </button>
      </div>
    </div>
  );
}
