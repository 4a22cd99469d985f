import type { ClientStatus } from '../../../contract/model.ts';
import { useT } from '../i18n/index.ts';

const icons: Record<ClientStatus, string> = { success: '✓', failure: '✕', never: '–' };

/** Colour is never the only signal: each status has its icon and its word. */
export function StatusBadge({ status }: { status: ClientStatus }) {
  const t = useT();
  return (
    <span className={`badge badge-${status}`}>
      <span className="badge-icon" aria-hidden="true">
        {icons[status]}
      </span>
      {t.status[status]}
    </span>
  );
}
