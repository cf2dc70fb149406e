import { StaleUploads, type InboundEntry } from './sftp-stale-uploads';

const own = (batchId: string): boolean => batchId.startsWith('dest-');
const entry = (name: string, size = 100, modifyTime = 1_000): InboundEntry => ({ name, size, modifyTime });

describe('StaleUploads: which unfinished uploads a sweep may remove', () => {
  it('takes an own .part or manifest-less CSV as stale only once seen unchanged for the whole bound', () => {
    const tracker = new StaleUploads(own, 1_000);
    const listing = [entry('dest-1.csv.part'), entry('dest-2.csv'), entry('dest-3.manifest.json.part')];
    expect(tracker.observe(listing, 0, new Set())).toEqual([]);
    expect(tracker.observe(listing, 999, new Set())).toEqual([]);
    expect(tracker.observe(listing, 1_000, new Set()).sort()).toEqual([
      'dest-1.csv.part',
      'dest-2.csv',
      'dest-3.manifest.json.part',
    ]);
  });

  it('starts counting again when a file changes: a live upload never looks old', () => {
    const tracker = new StaleUploads(own, 1_000);
    tracker.observe([entry('dest-1.csv.part', 100)], 0, new Set());
    expect(tracker.observe([entry('dest-1.csv.part', 200)], 900, new Set())).toEqual([]);
    expect(tracker.observe([entry('dest-1.csv.part', 200)], 1_800, new Set())).toEqual([]);
    expect(tracker.observe([entry('dest-1.csv.part', 200)], 1_900, new Set())).toEqual(['dest-1.csv.part']);
  });

  it('never takes a batch whose manifest is in place, another client’s files, or a batch being uploaded here', () => {
    const tracker = new StaleUploads(own, 1_000);
    const listing = [
      entry('dest-1.csv'),
      entry('dest-1.manifest.json'),
      entry('other-2.csv.part'),
      entry('other-3.csv'),
      entry('dest-4.csv.part'),
      entry('dest-5.receipt.json'),
    ];
    tracker.observe(listing, 0, new Set(['dest-4']));
    expect(tracker.observe(listing, 5_000, new Set(['dest-4']))).toEqual([]);
  });

  it('forgets a file once it is gone, so one that comes back under the same name is counted afresh', () => {
    const tracker = new StaleUploads(own, 1_000);
    tracker.observe([entry('dest-1.csv.part')], 0, new Set());
    tracker.observe([], 500, new Set());
    expect(tracker.observe([entry('dest-1.csv.part')], 1_200, new Set())).toEqual([]);
    expect(tracker.observe([entry('dest-1.csv.part')], 2_200, new Set())).toEqual(['dest-1.csv.part']);
  });
});
