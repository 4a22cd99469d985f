// Prints one closing line for the whole run from the JSON reports `npm test` writes, so that a
// reader (or CI) sees the total across the unit/integration and browser suites at a glance.
import { existsSync, readFileSync } from 'node:fs';

const reports = ['test-results/vitest.json', 'test-results/e2e.json'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  if (!existsSync(file)) {
    console.error(`test summary: ${file} is missing (that suite did not run)`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
