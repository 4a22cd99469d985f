// npm run web -- --data DIR [--demo N] [--agent NAME] [--port P] [--server URL [--enrolment-code CODE]]
// Serves the built interface on 127.0.0.1 with the real local database behind it, for a browser,
// the end-to-end tests and the interface benchmark. Electron is not needed.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { limits } from '../contract/index.ts';
import { defaultPort, startWebServer, WebSetupError } from './server.ts';

const usage = `Usage : npm run web -- --data DOSSIER [--demo N] [--agent NOM] [--port P] [--server URL [--enrolment-code CODE]]
  --data DOSSIER  dossier des données (créé si besoin) ; la base est DOSSIER/notification-desk.db
  --demo N        crée N clients de démonstration au premier démarrage (base sans client), 1 à ${limits.demoClients}
  --agent NOM     connecte le profil local de cet agent sans code PIN (créé s’il n’existe pas) : démos et tests
  --port P        port sur 127.0.0.1 (défaut ${defaultPort} ; 0 = un port libre)
  --server URL    synchronise avec ce serveur (jeton gardé en clair dans la base : pas de trousseau ici)
  --enrolment-code CODE  inscrit le poste auprès de --server avec ce code (code de poste : les agents se connectent)
L’interface servie est out/renderer (npx electron-vite build), ou le dossier DESK_RENDERER_DIR.`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function integerOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    fail(`--${name} doit être un entier entre ${min} et ${max} (reçu : ${raw}).\n\n${usage}`);
  }
  return Number(raw);
}

async function main(): Promise<void> {
  let values: { data?: string; demo?: string; agent?: string; port?: string; server?: string; 'enrolment-code'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string' },
        demo: { type: 'string' },
        agent: { type: 'string' },
        port: { type: 'string' },
        server: { type: 'string' },
        'enrolment-code': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n\n${usage}`);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!values.data) fail(`--data est obligatoire.\n\n${usage}`);

  const port = integerOption('port', values.port, 0, 65535);
  if (values['enrolment-code'] !== undefined && values.server === undefined) fail(`--enrolment-code demande --server.\n\n${usage}`);
  if (values.server !== undefined && !URL.canParse(values.server)) fail(`--server doit être une adresse http(s):// (reçu : ${values.server}).\n\n${usage}`);
  const demoClients = integerOption('demo', values.demo, 1, limits.demoClients);
  // Another build of the interface (a packaged copy, the tests' minimal page) may be served instead.
  const rendererDir = process.env.DESK_RENDERER_DIR;
  const server = await startWebServer({
    dataDir: resolve(values.data),
    ...(rendererDir ? { rendererDir: resolve(rendererDir) } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(demoClients !== undefined ? { demoClients } : {}),
    ...(values.agent !== undefined ? { agentName: values.agent } : {}),
    ...(values.server !== undefined ? { serverUrl: values.server } : {}),
    ...(values['enrolment-code'] !== undefined ? { enrolmentCode: values['enrolment-code'] } : {}),
  }).catch((error: unknown) => {
    if (error instanceof WebSetupError) fail(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      fail(`Le port ${port ?? defaultPort} est déjà utilisé : choisissez-en un autre avec --port (0 = un port libre).`);
    }
    throw error;
  });

  console.log(`Notification Desk (web) : ${server.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Closing the database checkpoints the WAL, so the data folder is whole when the process ends.
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
