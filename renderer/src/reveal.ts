// Keeping the agent oriented after the file changed under them (a void): focus on the client's name,
// the name in view, and the changed history entry shown clear of the toasts when both fit.

export const historyEntryId = (attemptId: string) => `attempt-${attemptId}`;
export const fileTitleId = 'file-title';

function scrollerOf(element: HTMLElement): HTMLElement {
  for (let node = element.parentElement; node; node = node.parentElement) {
    const overflow = getComputedStyle(node).overflowY;
    if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) return node;
  }
  return (document.scrollingElement as HTMLElement | null) ?? document.documentElement;
}

/** The top of the toast stack, where it overlaps the page; null without toasts. */
function toastsTop(): number | null {
  const stack = document.querySelector<HTMLElement>('.toasts');
  if (!stack || !stack.querySelector('.toast')) return null;
  return stack.getBoundingClientRect().top;
}

export function revealAfterChange(attemptId: string): void {
  const name = document.getElementById(fileTitleId);
  if (!name) return;
  name.focus({ preventScroll: true });
  const entry = document.getElementById(historyEntryId(attemptId));
  const scroller = scrollerOf(name);
  const isPage = scroller === document.scrollingElement || scroller === document.documentElement;
  const box = isPage ? { top: 0, bottom: window.innerHeight } : scroller.getBoundingClientRect();
  const covered = toastsTop();
  const visibleBottom = covered !== null && covered < box.bottom ? covered : box.bottom;
  const margin = 8;
  const nameTop = name.getBoundingClientRect().top;
  let delta = 0;
  if (entry) {
    const entryBottom = entry.getBoundingClientRect().bottom;
    if (entryBottom > visibleBottom - margin) delta = entryBottom - (visibleBottom - margin);
  }
  // Never scroll the name away: it says whose file this is.
  delta = Math.min(delta, nameTop - box.top - margin);
  if (delta !== 0) scroller.scrollTop += delta;
}
