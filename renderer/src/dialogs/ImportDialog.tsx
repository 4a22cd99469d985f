import { useEffect, useRef, useState } from 'react';
import { localizeError } from '../../../contract/errors.ts';
import type { ImportProgress, ImportReport } from '../../../contract/model.ts';
import { limits } from '../../../contract/limits.ts';
import { refreshAfterClientsChanged } from '../actions.ts';
import { Modal } from '../components/Modal.tsx';
import { bridge, call, messageOf } from '../desk.ts';
import { formatNumber } from '../format.ts';
import { useLocale, useT } from '../i18n/index.ts';
import { reportError } from '../report.ts';
import { FormFooter } from '../components/FormFooter.tsx';

type Phase = { kind: 'choose' } | { kind: 'running'; progress: ImportProgress | null } | { kind: 'done'; report: ImportReport };

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
    if (file.size > limits.importBytes) {
      // The same words main would use, without reading the whole file first.
      setFailure(localizeError('import.tooLarge', locale, { size: file.size, max: limits.importBytes }));
      return;
    }
    const importId = newImportId();
    setPhase({ kind: 'running', progress: null });
    unsubscribe.current?.();
    unsubscribe.current = bridge().on('importProgress', (progress) => {
      if (progress.importId === importId) setPhase({ kind: 'running', progress });
    });
    try {
      const content = await file.text();
      const report = await call('importClients', { fileName: file.name.slice(0, limits.fileName), content, importId });
      setPhase({ kind: 'done', report });
      refreshAfterClientsChanged().catch(reportError);
    } catch (error) {
      setFailure(messageOf(error, locale));
      setPhase({ kind: 'choose' });
    } finally {
      unsubscribe.current?.();
      unsubscribe.current = null;
    }
  }

  const announcement =
    phase.kind === 'done'
      ? t.importDialog.announce(phase.report.total, phase.report.inserted, phase.report.updated, phase.report.rejected.length)
      : '';
  return (
    <Modal title={t.importDialog.title} onClose={onClose} wide>
      {/* There from the start, so the result is announced when it fills in. */}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {phase.kind !== 'done' ? (
        <form onSubmit={start} noValidate>
          <p>{t.importDialog.intro}</p>
          <label htmlFor="import-file">{t.importDialog.file}</label>
          <input id="import-file" ref={fileRef} type="file" accept=".csv,text/csv" disabled={phase.kind === 'running'} />
          {phase.kind === 'running' && <ImportProgressBar progress={phase.progress} />}
          <FormFooter
            failure={failure}
            cancelLabel={t.importDialog.close}
            submitLabel={t.importDialog.start}
            busy={phase.kind === 'running'}
            onCancel={onClose}
          />
        </form>
      ) : (
        <ImportSummary report={phase.report} onClose={onClose} />
      )}
    </Modal>
  );
}

function ImportProgressBar({ progress }: { progress: ImportProgress | null }) {
  const t = useT();
  return (
    <div className="import-progress">
      {progress && progress.bytesTotal > 0 ? (
        <progress aria-label={t.importDialog.progress} max={progress.bytesTotal} value={progress.bytesRead} />
      ) : (
        <progress aria-label={t.importDialog.progress} />
      )}
      <p aria-live="polite" className="muted">
        {progress ? t.importDialog.linesRead(progress.linesRead) : t.importDialog.reading}
      </p>
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
      <dl className="import-figures">
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
