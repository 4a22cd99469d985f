// What the agent reads when sync fails, in their language. The engine's own messages are for logs.

import type { Locale } from '../contract/index.ts';
import { SyncFailure } from './http.ts';

type Text = Record<Locale, string>;

function detail(error: SyncFailure): string {
  return error.body ? `${error.body.code}` : error.status ? `HTTP ${error.status}` : error.message.replace(/^\w+ \S+: /, '');
}

export function describeFailure(error: unknown, locale: Locale): string {
  if (!(error instanceof SyncFailure)) {
    const message = error instanceof Error ? error.message : String(error);
    const text: Text = {
      fr: `Erreur pendant la synchronisation (${message}) : nouvel essai automatique.`,
      en: `Error during synchronisation (${message}): will try again automatically.`,
    };
    return text[locale];
  }
  const d = detail(error);
  const texts: Record<SyncFailure['kind'], Text> = {
    network: {
      fr: `Serveur injoignable (${d}) : vos clics restent enregistrés ici et partiront au retour du réseau.`,
      en: `Server unreachable (${d}): your clicks stay recorded here and will be sent when the network is back.`,
    },
    rateLimited: {
      fr: 'Le serveur demande de patienter : nouvel essai automatique.',
      en: 'The server asks to wait: will try again automatically.',
    },
    server: {
      fr: `Le serveur a un problème (${d}) : nouvel essai automatique.`,
      en: `The server has a problem (${d}): will try again automatically.`,
    },
    auth: {
      fr: `Le serveur refuse le jeton d’accès (${d}) : demandez-en un nouveau à votre responsable et saisissez-le dans les paramètres.`,
      en: `The server refuses the access token (${d}): ask your supervisor for a new one and enter it in the settings.`,
    },
    protocol: {
      fr: 'Le serveur parle une autre version du protocole : mettez l’application à jour.',
      en: 'The server speaks another protocol version: update the application.',
    },
    tooLarge: {
      fr: `Le serveur refuse une requête trop volumineuse (${d}).`,
      en: `The server refuses a request as too large (${d}).`,
    },
    refused: {
      fr: `Le serveur refuse la requête (${error.body?.message.fr ?? d}).`,
      en: `The server refuses the request (${error.body?.message.en ?? d}).`,
    },
    badAnswer: {
      fr: `Réponse du serveur incompréhensible (${d}) : nouvel essai plus tard.`,
      en: `Unreadable answer from the server (${d}): will try again later.`,
    },
  };
  return texts[error.kind][locale];
}
