// Every failure the app can report, with a stable code and its words in French and English.
// The code is what programs branch on; the messages are what the agent reads.

export type Locale = 'fr' | 'en';

type Params = Record<string, string | number>;
type Message = (p: Params) => string;

const catalog = {
  'input.invalid': {
    fr: (p) => `Données invalides : ${p.details}`,
    en: (p) => `Invalid data: ${p.details}`,
  },
  'operation.unknown': {
    fr: (p) => `Opération inconnue : ${p.operation}`,
    en: (p) => `Unknown operation: ${p.operation}`,
  },
  'sender.forbidden': {
    fr: () => 'Appel refusé : il ne vient pas de la fenêtre de l’application.',
    en: () => 'Call refused: it does not come from the application window.',
  },
  'client.notFound': {
    fr: (p) => `Client introuvable : ${p.code}`,
    en: (p) => `Client not found: ${p.code}`,
  },
  'attempt.notFound': {
    fr: (p) => `Tentative introuvable : ${p.id}`,
    en: (p) => `Attempt not found: ${p.id}`,
  },
  'attempt.alreadyVoided': {
    fr: () => 'Cette tentative est déjà annulée.',
    en: () => 'This attempt is already voided.',
  },
  'attempt.notAuthor': {
    fr: () => 'Seul l’agent qui a enregistré cette tentative peut l’annuler.',
    en: () => 'Only the agent who recorded this attempt can void it.',
  },
  'attempt.undoExpired': {
    fr: (p) => `Le délai d’annulation (${p.seconds} s) est dépassé : annulez-la avec un motif.`,
    en: (p) => `The undo window (${p.seconds} s) has passed: void it with a reason.`,
  },
  'reason.expired': {
    fr: (p) => `Le motif se choisit dans les ${p.seconds} s qui suivent l’enregistrement : ce délai est passé.`,
    en: (p) => `A reason can be picked within ${p.seconds} s of recording: that time has passed.`,
  },
  'reason.alreadyGiven': {
    fr: () => 'Cette tentative a déjà un motif : pour en changer, annulez-la (Ctrl+Z) et enregistrez-la de nouveau.',
    en: () => 'This attempt already has a reason: to change it, undo it (Ctrl+Z) and record it again.',
  },
  'reason.notAuthor': {
    fr: () => 'Seul l’agent qui a enregistré cette tentative peut en donner le motif.',
    en: () => 'Only the agent who recorded this attempt can give its reason.',
  },
  'reason.wrongStatus': {
    fr: (p) => `Ce motif ne va pas avec ce résultat (${p.code}).`,
    en: (p) => `This reason does not fit this result (${p.code}).`,
  },
  'callback.past': {
    fr: () => 'Choisissez une date et une heure à venir pour le rappel.',
    en: () => 'Choose a date and time still to come for the call-back.',
  },
  'callback.tooLate': {
    fr: () => 'Il est trop tard pour « cet après-midi » : choisissez « dans 1 h » ou une heure.',
    en: () => 'It is too late for “this afternoon”: choose “in 1 hour” or a time.',
  },
  'callback.notFound': {
    fr: () => 'Ce rappel n’existe pas ou n’est plus ouvert.',
    en: () => 'This call-back does not exist or is no longer open.',
  },
  'void.reasonRequired': {
    fr: () => 'Un motif est obligatoire pour annuler une tentative.',
    en: () => 'A reason is required to void an attempt.',
  },
  'agent.notSet': {
    fr: () => 'Aucun agent n’est défini : saisissez votre nom dans les paramètres.',
    en: () => 'No agent is set: enter your name in the settings.',
  },
  'agent.nameTaken': {
    fr: (p) => `Un agent nommé « ${p.name} » existe déjà sur ce poste : choisissez-le sur l’écran de connexion, ou un autre nom.`,
    en: (p) => `An agent named "${p.name}" already exists on this desk: pick them on the sign-in screen, or another name.`,
  },
  'agent.unknown': {
    fr: () => 'Cet agent n’existe pas (ou plus) sur ce poste.',
    en: () => 'This agent does not exist (any more) on this desk.',
  },
  'agent.pinWrong': {
    fr: () => 'Code PIN incorrect.',
    en: () => 'Wrong PIN.',
  },
  'agent.pinThrottled': {
    fr: (p) => `Trop de codes PIN incorrects : réessayez dans ${p.seconds} s.`,
    en: (p) => `Too many wrong PINs: try again in ${p.seconds} s.`,
  },
  'agent.pinToChoose': {
    fr: () => 'Cet agent n’a pas encore de code PIN : choisissez-en un et confirmez-le.',
    en: () => 'This agent has no PIN yet: choose one and confirm it.',
  },
  'agent.pinMismatch': {
    fr: () => 'Les deux codes PIN ne sont pas identiques.',
    en: () => 'The two PINs differ.',
  },
  'agent.signInRequired': {
    fr: () => 'Connectez-vous d’abord : des agents existent déjà sur ce poste.',
    en: () => 'Sign in first: agents already exist on this desk.',
  },
  'signIn.wrong': {
    fr: (p) => (p.secretKind === 'password' ? 'Identifiant ou mot de passe incorrect.' : 'Identifiant ou code PIN incorrect.'),
    en: (p) => (p.secretKind === 'password' ? 'Wrong login or password.' : 'Wrong login or PIN.'),
  },
  'signIn.throttled': {
    fr: (p) => `Trop d’essais incorrects : réessayez dans ${p.seconds} s.`,
    en: (p) => `Too many wrong tries: try again in ${p.seconds} s.`,
  },
  'signIn.disabled': {
    fr: () => 'Cet agent est désactivé : adressez-vous à votre responsable.',
    en: () => 'This agent is disabled: ask your supervisor.',
  },
  'signIn.offlineUnknown': {
    fr: () => 'Serveur injoignable, et cet agent ne s’est jamais connecté en ligne sur ce poste : connectez-vous quand le serveur répond.',
    en: () => 'Server unreachable, and this agent never signed in online on this desk: sign in once the server answers.',
  },
  'signIn.offlineExpired': {
    fr: (p) => `Serveur injoignable, et la dernière connexion en ligne de cet agent sur ce poste date de plus de ${p.days} jours : connectez-vous quand le serveur répond.`,
    en: (p) => `Server unreachable, and this agent last signed in online on this desk more than ${p.days} days ago: sign in once the server answers.`,
  },
  'signIn.offlineNotAllowed': {
    fr: () => 'Serveur injoignable : ce site n’autorise pas la connexion hors ligne.',
    en: () => 'Server unreachable: this site does not allow signing in offline.',
  },
  'signIn.deviceRejected': {
    fr: () => 'Le serveur ne reconnaît plus ce poste : demandez au service informatique de l’inscrire à nouveau.',
    en: () => 'The server no longer knows this desk: ask IT to enrol it again.',
  },
  'signIn.serverAgentsOnly': {
    fr: () => 'Ce poste est inscrit auprès du serveur : connectez-vous avec votre identifiant (les profils locaux n’y servent plus).',
    en: () => 'This desk is enrolled with the server: sign in with your login (local profiles no longer apply here).',
  },
  'sync.waitingForSignIn': {
    fr: (p) => `Enregistrements en attente de la connexion de : ${p.agents}.`,
    en: (p) => `Records waiting for a sign-in of: ${p.agents}.`,
  },
  'session.locked': {
    fr: () => 'Session verrouillée : saisissez votre code PIN pour continuer.',
    en: () => 'Session locked: enter your PIN to go on.',
  },
  'import.tooLarge': {
    fr: (p) => `Fichier trop volumineux (${p.size} octets, maximum ${p.max}).`,
    en: (p) => `File too large (${p.size} bytes, maximum ${p.max}).`,
  },
  'import.encoding': {
    fr: () => 'Le fichier mélange deux encodages (de l’UTF-8 puis autre chose) : enregistrez-le en « CSV UTF-8 » puis réessayez.',
    en: () => 'The file mixes two encodings (UTF-8, then something else): save it as "CSV UTF-8" and try again.',
  },
  'import.unreadable': {
    fr: (p) => `Fichier illisible : ${p.details}`,
    en: (p) => `Unreadable file: ${p.details}`,
  },
  'import.noHeader': {
    fr: () => 'En-tête introuvable : la première ligne doit nommer les colonnes (dont « Code client » et « Nom »).',
    en: () => 'No header found: the first line must name the columns (including "Code client" and "Nom").',
  },
  'import.missingColumn': {
    fr: (p) => `Colonne obligatoire absente : ${p.column}`,
    en: (p) => `Required column missing: ${p.column}`,
  },
  'import.malformed': {
    fr: (p) => `Fichier CSV illisible ligne ${p.line} : ${p.details}`,
    en: (p) => `Unreadable CSV file at line ${p.line}: ${p.details}`,
  },
  'import.line.missingCode': {
    fr: () => 'code client manquant',
    en: () => 'missing client code',
  },
  'import.line.missingName': {
    fr: () => 'nom manquant',
    en: () => 'missing name',
  },
  'import.line.duplicateCode': {
    fr: (p) => `code client en double (déjà vu ligne ${p.first})`,
    en: (p) => `duplicate client code (already seen at line ${p.first})`,
  },
  'import.line.tooLong': {
    fr: (p) => `valeur trop longue dans la colonne « ${p.column} »`,
    en: (p) => `value too long in column "${p.column}"`,
  },
  'import.line.unstorable': {
    fr: (p) => `caractère impossible à enregistrer (${p.char}) dans la colonne « ${p.column} »`,
    en: (p) => `character that cannot be stored (${p.char}) in column "${p.column}"`,
  },
  'import.line.columnCount': {
    fr: (p) => `nombre de colonnes incorrect (${p.found} au lieu de ${p.expected})`,
    en: (p) => `wrong number of columns (${p.found} instead of ${p.expected})`,
  },
  'import.line.quoting': {
    fr: () => 'guillemets mal fermés',
    en: () => 'badly closed quotes',
  },
  'import.line.lineTooLong': {
    fr: (p) => `ligne trop longue (plus de ${p.max} caractères) : un séparateur ou un retour à la ligne manque`,
    en: (p) => `line too long (over ${p.max} characters): a separator or a line break is missing`,
  },
  'sync.notConfigured': {
    fr: () => 'La synchronisation n’est pas configurée.',
    en: () => 'Synchronisation is not configured.',
  },
  'sync.unavailable': {
    fr: (p) => `Synchronisation impossible : ${p.details}`,
    en: (p) => `Synchronisation failed: ${p.details}`,
  },
  'settings.lockedByPolicy': {
    fr: (p) => `Ce réglage est fixé par le service informatique (${p.setting}) et ne peut pas être modifié ici.`,
    en: (p) => `This setting is fixed by IT (${p.setting}) and cannot be changed here.`,
  },
  'sync.plainHttpRefused': {
    fr: (p) => `Adresse refusée : ${p.url} n’est pas chiffrée (http://). Utilisez https://, ou demandez au service informatique d’autoriser http dans la politique du poste.`,
    en: (p) => `Address refused: ${p.url} is not encrypted (http://). Use https://, or ask IT to allow http in the desk's policy.`,
  },
  'sync.tokenRequired': {
    fr: () => 'Saisissez le jeton d’accès fourni par votre responsable.',
    en: () => 'Enter the access token your supervisor gave you.',
  },
  'sync.tokenRejected': {
    fr: () => 'Le serveur refuse ce jeton d’accès (inconnu ou révoqué) : demandez-en un nouveau à votre responsable.',
    en: () => 'The server refuses this access token (unknown or revoked): ask your supervisor for a new one.',
  },
  'sync.enrolmentRejected': {
    fr: () => 'Le serveur refuse ce code d’enrôlement (inconnu, expiré ou déjà utilisé) : demandez-en un nouveau à votre responsable.',
    en: () => 'The server refuses this enrolment code (unknown, expired or already used): ask your supervisor for a new one.',
  },
  'sync.enrolmentUnsupported': {
    fr: () => 'Ce serveur ne connaît pas les codes d’enrôlement : saisissez un jeton d’accès à la place.',
    en: () => 'This server does not know enrolment codes: enter an access token instead.',
  },
  'sync.enrolmentOrToken': {
    fr: () => 'Saisissez soit un code d’enrôlement, soit un jeton d’accès, pas les deux.',
    en: () => 'Enter either an enrolment code or an access token, not both.',
  },
  'sync.protocolMismatch': {
    fr: () => 'Le serveur parle une autre version du protocole de synchronisation : mettez l’application à jour.',
    en: () => 'The server speaks another version of the sync protocol: update the application.',
  },
  'bridge.unreachable': {
    fr: (p) => `Le service local ne répond pas (${p.details}) : l’opération n’a peut-être pas été enregistrée. Rechargez la page.`,
    en: (p) => `The local service is not answering (${p.details}): the operation may not have been saved. Reload the page.`,
  },
  'text.unstorable': {
    fr: (p) => `Le champ « ${p.field} » contient un caractère qui ne peut pas être enregistré (${p.char}, souvent venu d’un copier-coller) : retirez-le puis réessayez.`,
    en: (p) => `The field "${p.field}" contains a character that cannot be stored (${p.char}, often from a copy and paste): remove it and try again.`,
  },
  'storage.full': {
    fr: () => 'Disque plein : libérez de l’espace sur le disque, puis réessayez. Rien n’a été enregistré.',
    en: () => 'Disk full: free some space on the disk, then try again. Nothing was saved.',
  },
  'storage.io': {
    fr: (p) => `Le disque ne répond pas correctement (${p.details}) : rien n’a été enregistré. Réessayez ; si cela persiste, prévenez le support.`,
    en: (p) => `The disk is not answering properly (${p.details}): nothing was saved. Try again; if it persists, contact support.`,
  },
  'storage.damaged': {
    fr: () => 'Base locale endommagée : restaurez la dernière sauvegarde ou repartez d’une base vide.',
    en: () => 'Local database damaged: restore the latest backup or start from an empty database.',
  },
  'storage.missing': {
    fr: () => 'Base locale introuvable : restaurez la dernière sauvegarde ou repartez d’une base vide.',
    en: () => 'Local database not found: restore the latest backup or start from an empty database.',
  },
  'storage.newerVersion': {
    fr: (p) => `La base locale vient d’une version plus récente de l’application (${p.migration}) : mettez l’application à jour, ou restaurez la dernière sauvegarde faite par cette version.`,
    en: (p) => `The local database comes from a newer version of the application (${p.migration}): update the application, or restore the latest backup made by this version.`,
  },
  'storage.noBackup': {
    fr: () => 'Aucune sauvegarde de la base locale n’est disponible.',
    en: () => 'No backup of the local database is available.',
  },
  'storage.notNeeded': {
    fr: () => 'La base locale est saine : il n’y a rien à réparer.',
    en: () => 'The local database is healthy: there is nothing to repair.',
  },
  'storage.inUse': {
    fr: (p) => `Ce dossier de données est déjà utilisé par une autre instance (${p.details}) : fermez-la d’abord.`,
    en: (p) => `This data folder is already in use by another instance (${p.details}): close it first.`,
  },
  'database.restarting': {
    fr: () => 'Le service de la base locale a redémarré pendant l’opération : vérifiez l’historique du client, puis réessayez si besoin.',
    en: () => 'The local database service restarted during the operation: check the client’s history, then try again if needed.',
  },
  'database.unavailable': {
    fr: (p) => `La base locale ne répond plus (${p.details}) : redémarrez l’application.`,
    en: (p) => `The local database is not answering (${p.details}): restart the application.`,
  },
  'internal': {
    fr: () => 'Erreur interne : l’opération n’a pas été enregistrée. Réessayez ; si cela persiste, prévenez le support.',
    en: () => 'Internal error: nothing was saved. Try again; if it persists, contact support.',
  },
} satisfies Record<string, Record<Locale, Message>>;

export type ErrorCode = keyof typeof catalog;
export const errorCodes = Object.keys(catalog) as ErrorCode[];

/** What crosses every boundary (IPC, HTTP bridge) when an operation fails. */
export interface DeskErrorPayload {
  code: ErrorCode;
  message: Record<Locale, string>;
  params?: Params;
}

export function errorPayload(code: ErrorCode, params: Params = {}): DeskErrorPayload {
  const entry: Record<Locale, Message> = catalog[code];
  return { code, message: { fr: entry.fr(params), en: entry.en(params) }, params };
}

export function localizeError(code: ErrorCode, locale: Locale, params: Params = {}): string {
  const entry: Record<Locale, Message> = catalog[code];
  return entry[locale](params);
}

/** Thrown by domain code; turned into a DeskErrorPayload at the boundary. */
export class DeskError extends Error {
  readonly code: ErrorCode;
  readonly params: Params;
  constructor(code: ErrorCode, params: Params = {}) {
    super(localizeError(code, 'en', params));
    this.name = 'DeskError';
    this.code = code;
    this.params = params;
  }
  toPayload(): DeskErrorPayload {
    return errorPayload(this.code, this.params);
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DeskErrorPayload };
