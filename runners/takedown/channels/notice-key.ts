import { createHash } from 'node:crypto';
import type { Notice } from '../notice.js';

/**
 * A notice's stable name: the same contact, part and links give the same key, so a notice sent
 * again after a crash carries the same Message-ID (the host's desk and our own records can tell it
 * is a resend, not a new complaint), and a form text or a batch line can be traced to it.
 */
export function noticeKey(notice: Pick<Notice, 'to' | 'urls' | 'findingIds' | 'part'>): string {
  const hash = createHash('sha256');
  hash.update(notice.to.toLowerCase());
  hash.update('\n');
  hash.update(`${notice.part.index}/${notice.part.total}`);
  for (const url of notice.urls) hash.update(`\n${url}`);
  hash.update(`\n${[...notice.findingIds].sort((a, b) => a - b).join(',')}`);
  return hash.digest('hex').slice(0, 32);
}
