import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { StatusFilter } from '../../../contract/model.ts';
import { openClient, searchInputId } from '../actions.ts';
import { formatNumber } from '../format.ts';
import { useT } from '../i18n/index.ts';
import { useFileStore } from '../store/file.ts';
import { rowAt, rowCount, useSearchStore } from '../store/search.ts';
import { phoneView } from '../phone.ts';
import { useSettingsStore } from '../store/settings.ts';
import { RelativeTime } from './RelativeTime.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const rowHeight = 60;
const unlaidOut = { width: 320, height: 720 };
const listId = 'client-results';
const optionId = (index: number) => `client-option-${index}`;
const filters: StatusFilter[] = ['all', 'never', 'success', 'failure'];

export function ClientList() {
  const t = useT();
  const query = useSearchStore((s) => s.query);
  const status = useSearchStore((s) => s.status);
  const count = useSearchStore(rowCount);
  const total = useSearchStore((s) => s.total);
  const capped = useSearchStore((s) => s.totalIsCapped);
  const ready = useSearchStore((s) => s.ready);
  const shown = useSearchStore((s) => s.shown);
  const activeIndex = useSearchStore((s) => s.activeIndex);
  const pages = useSearchStore((s) => s.pages);
  const openCode = useFileStore((s) => s.code);
  // An empty base is not a search that found nothing: say so (Onboarding offers the import and the demo).
  const emptyBase = useSettingsStore((s) => s.settings?.clientCount === 0) && !query && status === 'all';
  const { setQuery, setStatus, setActive, ensureRange } = useSearchStore.getState();

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    initialRect: unlaidOut,
    // Before layout (first paint, a hidden pane, a DOM without layout) the list measures 0 px:
    // lay out a window's worth of rows rather than none, so the active row always exists.
    observeElementRect: (instance, onChange) => observeElementRect(instance, (rect) => onChange(rect.height > 0 ? rect : unlaidOut)),
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (lastIndex >= 0) ensureRange(firstIndex, lastIndex);
  }, [firstIndex, lastIndex, shown, ensureRange]);

  useEffect(() => {
    if (activeIndex >= 0) virtualizer.scrollToIndex(activeIndex, { align: 'auto' });
  }, [activeIndex, virtualizer]);

  // A new answer starts at its top.
  useEffect(() => {
    scrollRef.current?.scrollTo?.({ top: 0 });
  }, [shown]);

  function move(to: number) {
    if (count === 0) return;
    setActive(Math.max(0, Math.min(count - 1, to)));
  }

  function openActive() {
    const index = activeIndex >= 0 ? activeIndex : 0;
    const row = rowAt(useSearchStore.getState(), index);
    if (!row) return;
    setActive(index);
    openClient(row.code);
  }

  function onKeyDown(e: React.KeyboardEvent<HTMLElement>, inList: boolean) {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        move(activeIndex + 1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        move(activeIndex - 1);
        break;
      case 'PageDown':
        e.preventDefault();
        move(activeIndex + 10);
        break;
      case 'PageUp':
        e.preventDefault();
        move(activeIndex - 10);
        break;
      case 'Home':
      case 'End':
        // In the search field these keys move the caret; in the list, to the first/last row.
        if (inList) {
          e.preventDefault();
          move(e.key === 'Home' ? 0 : count - 1);
        }
        break;
      case 'Enter':
        e.preventDefault();
        openActive();
        break;
      case 'Escape':
        if (!inList && query) {
          e.preventDefault();
          setQuery('');
        }
        break;
    }
  }

  const activeId = activeIndex >= 0 && activeIndex < count ? optionId(activeIndex) : undefined;
  const totalText = capped ? `${formatNumber(t, total)}+` : formatNumber(t, total);

  return (
    <div className="client-list">
      <div className="search-field">
        <label htmlFor={searchInputId}>{t.search.label}</label>
        <input
          id={searchInputId}
          type="search"
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={activeId}
          aria-keyshortcuts="/ Control+K"
          aria-describedby="client-search-hint"
          autoComplete="off"
          spellCheck={false}
          maxLength={100}
          placeholder={t.search.placeholder}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => onKeyDown(e, false)}
        />
        <span id="client-search-hint" className="hint">
          {t.search.hint}
        </span>
      </div>

      <div role="radiogroup" aria-label={t.search.filtersLabel} className="filters">
        {filters.map((filter) => (
          <label key={filter} className={filter === status ? 'filter is-checked' : 'filter'}>
            <input
              type="radio"
              name="status-filter"
              value={filter}
              checked={filter === status}
              onChange={() => setStatus(filter)}
            />
            <span>{t.search.filters[filter]}</span>
          </label>
        ))}
      </div>

      <p className="result-count">{ready ? t.search.count(totalText, total) : t.app.loading}</p>
      {ready && count === 0 && <p className="results-empty">{emptyBase ? t.search.emptyBase : t.search.noResults}</p>}

      <div
        ref={scrollRef}
        id={listId}
        role="listbox"
        aria-label={t.search.listLabel}
        aria-activedescendant={activeId}
        tabIndex={0}
        className="results"
        onKeyDown={(e) => onKeyDown(e, true)}
      >
        <div role="none" className="results-inner" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rowAt({ pages }, item.index);
            const active = item.index === activeIndex;
            const classes = ['row', active ? 'is-active' : '', row && row.code === openCode ? 'is-open' : ''].join(' ');
            return (
              <div
                key={item.key}
                id={optionId(item.index)}
                role="option"
                aria-selected={active}
                aria-setsize={capped ? -1 : count}
                aria-posinset={item.index + 1}
                className={classes}
                style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                onClick={() => {
                  if (!row) return;
                  setActive(item.index);
                  openClient(row.code);
                }}
              >
                {row ? (
                  <>
                    <span className="row-line">
                      <span className="row-name">{row.name}</span>
                      <span className="row-code">{row.code}</span>
                    </span>
                    <span className="row-line row-meta">
                      <StatusBadge status={row.status} />
                      {row.lastAttemptAt && <RelativeTime iso={row.lastAttemptAt} />}
                      <RowTellApart city={row.city} phones={row.phones} />
                    </span>
                  </>
                ) : (
                  <span className="row-placeholder">{t.search.loadingRow}</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/** City and the phone's last digits: what tells apart the many "ANDRÉ Aïcha" of a large base. */
function RowTellApart({ city, phones }: { city: string | null; phones: string[] }) {
  const t = useT();
  const first = phones[0];
  const digits = first ? phoneView(first).text.replace(/\D/g, '') : '';
  const ending = digits.length >= 4 ? t.search.phoneEnding(`${digits.slice(-4, -2)} ${digits.slice(-2)}`) : null;
  const parts = [city, ending].filter(Boolean);
  if (parts.length === 0) return null;
  return <span className="row-where">{parts.join(' · ')}</span>;
}
