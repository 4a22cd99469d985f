// What a desk says of itself with a push (feature 'push.deviceReport'): version, outbox, dead
// letters. Kept for the console's devices page; a report never changes what the push applies.

import type { DeviceReport } from '../contract/sync-protocol.ts';
import type { ServerDatabase } from './storage/database.ts';

export async function saveDeviceReport(sdb: ServerDatabase, deviceId: string, report: DeviceReport, now: Date): Promise<void> {
  const row = {
    app_version: report.appVersion,
    outbox_pending: report.outboxPending,
    dead_letters: report.deadLetters,
    dead_letter_reasons: JSON.stringify(report.deadLetterReasons),
    reported_at: now.toISOString(),
  };
  await sdb.db
    .insertInto('device_reports')
    .values({ device_id: deviceId, ...row })
    .onConflict((oc) => oc.column('device_id').doUpdateSet(row))
    .execute();
}
