import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { hasBridge } from './desk.ts';
import { dictionaryOf, defaultLocale } from './i18n/index.ts';
import './styles/app.css';

const root = document.getElementById('root');
if (root) {
  if (hasBridge()) {
    createRoot(root).render(
      <StrictMode>
        <ErrorBoundary>
          <App />
        </ErrorBoundary>
      </StrictMode>,
    );
  } else {
    // Without preload or web bridge there is nothing to show but why.
    const message = document.createElement('p');
    message.className = 'fatal';
    message.setAttribute('role', 'alert');
    message.textContent = dictionaryOf(defaultLocale).app.noBridge;
    root.replaceChildren(message);
  }
}
