import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSnapshotStore } from '../../../../src/activities/snapshots/fileStore';
import { createPhoneRecordActivities } from '../../../../src/activities/snapshots/phoneRecords';
import { objectKey } from '../../../../src/activities/snapshots/port';

const quiet = { info: () => undefined, warn: () => undefined };

function setUp() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phone-records-'));
  const store = new FileSnapshotStore(dir);
  return {
    dir,
    store,
    records: createPhoneRecordActivities({ store, customerCode: 'valley', logger: quiet }),
  };
}

describe('phone records (a conversation that ends keeps its opt-out state)', () => {
  test('a record written is read back by the next conversation on the number', async () => {
    const { records } = setUp();
    expect(await records.readPhoneRecord('phone-0a1b')).toBeNull();
    expect(await records.writePhoneRecord('phone-0a1b', { optedOut: true, version: 7 })).toBe('written');
    expect(await records.readPhoneRecord('phone-0a1b')).toEqual({ optedOut: true, version: 7 });
    // START later: a newer version replaces it; a late retry of the older one does not.
    expect(await records.writePhoneRecord('phone-0a1b', { optedOut: false, version: 9 })).toBe('written');
    expect(await records.writePhoneRecord('phone-0a1b', { optedOut: true, version: 8 })).toBe('stale');
    expect(await records.readPhoneRecord('phone-0a1b')).toEqual({ optedOut: false, version: 9 });
  });

  test('records live in phones/, never among appointments (export does not list them)', async () => {
    const { dir, store, records } = setUp();
    await records.writePhoneRecord('phone-0a1b', { optedOut: true, version: 1 });
    expect(existsSync(path.join(dir, 'valley', 'phones', 'phone-0a1b.json'))).toBe(true);
    const listed: string[] = [];
    for await (const id of store.listAppointments('valley')) listed.push(id);
    expect(listed).toEqual([]);
    expect(objectKey.current('valley', '~phone-0a1b')).toBe('valley/phones/phone-0a1b.json');
    expect(objectKey.history('valley', '~phone-0a1b', 1)).toBe(
      'valley/phone-history/phone-0a1b/0000000001.json',
    );
    // An appointment id can never reach that folder: EHR ids have no `~`.
    expect(objectKey.current('valley', 'phone-0a1b')).toBe('valley/appointments/phone-0a1b.json');
  });

  test('an unreadable record starts the conversation afresh instead of failing it', async () => {
    const { dir, records } = setUp();
    mkdirSync(path.join(dir, 'valley', 'phones'), { recursive: true });
    writeFileSync(path.join(dir, 'valley', 'phones', 'phone-0a1b.json'), '{ not json');
    expect(await records.readPhoneRecord('phone-0a1b')).toBeNull();
  });
});
