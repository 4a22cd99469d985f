// Live journal: every few seconds, while the tab is visible, asks the server how many attempts
// matching this page's filters arrived since the page was rendered (/console/journal/news, JSON),
// and shows "N nouvelles tentatives — afficher" as a link in the page's live region (role=status),
// so a screen reader hears it and a keyboard reaches it with Tab. A same-origin file because the
// console's CSP allows no inline script; without it the journal still works by reload. The server
// writes the words (in the page's language); this file only places them.
(() => {
  const region = document.getElementById('journal-live');
  if (!region || !region.dataset.news) return;
  const url = region.dataset.news;
  const every = Math.max(1000, Number(region.dataset.every) || 10000);
  let shown = 0;
  let timer = null;
  let stopped = false;

  const schedule = () => {
    if (!stopped && timer === null && !document.hidden) timer = setTimeout(ask, every);
  };

  const render = (news) => {
    if (news.count === shown) return;
    shown = news.count;
    const link = document.createElement('a');
    link.href = news.href;
    link.textContent = news.text;
    region.replaceChildren(...(news.count > 0 ? [link] : []));
  };

  async function ask() {
    timer = null;
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' }, redirect: 'manual' });
      // Signed out, session expired or refused: stop asking; the next click leads to sign-in.
      if (response.status === 401 || response.status === 403 || response.type === 'opaqueredirect') {
        stopped = true;
        return;
      }
      if (response.ok) render(await response.json());
    } catch {
      // The network or the server is away: ask again at the next turn.
    }
    schedule();
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden && timer !== null) {
      clearTimeout(timer);
      timer = null;
    } else if (!document.hidden && timer === null) {
      void ask();
    }
  });
  schedule();
})();
