// Runs a child process of a crash test: each line it prints goes to `killWhen`, which may ask for a
// SIGKILL after some milliseconds (asked once; later answers are ignored). The run gives up with a
// SIGKILL of its own after `giveUpMs`, so a stuck child fails its test instead of hanging the suite.

import { spawn } from 'node:child_process';

export interface ChildRun {
  /** Every stdout line, in order. */
  lines: string[];
  stderr: string;
}

export function runKilledChild(
  script: string,
  args: string[],
  killWhen: (line: string) => number | undefined,
  giveUpMs: number,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { lines: [], stderr: '' };
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => proc.kill('SIGKILL'), giveUpMs);
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (text: string) => (run.stderr += text));
    proc.stdout.on('data', (text: string) => {
      buffered += text;
      const got = buffered.split('\n');
      buffered = got.pop() ?? '';
      for (const line of got) {
        run.lines.push(line);
        const after = timer ? undefined : killWhen(line);
        if (after !== undefined) timer = setTimeout(() => proc.kill('SIGKILL'), after);
      }
    });
    proc.on('error', reject);
    proc.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      resolve(run);
    });
  });
}
