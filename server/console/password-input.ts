// The password of `admin create-user`: typed on the terminal without echo (asked twice), or read as
// one line from standard input when it is not a terminal (scripts). Never an argument: arguments
// end up in shell history and in every process listing.

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

async function readOneLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}

async function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    muted = false;
    rl.close();
    process.stderr.write('\n');
  }
}

export class PasswordMismatch extends Error {}

/** label: what is asked ('Mot de passe', 'Code PIN'), on the terminal only. */
export async function readNewPassword(label = 'Mot de passe'): Promise<string> {
  if (!process.stdin.isTTY) return readOneLine(process.stdin);
  const first = await askHidden(`${label} : `);
  const second = await askHidden(`${label} (encore) : `);
  if (first !== second) throw new PasswordMismatch('Les deux saisies diffèrent.');
  return first;
}
