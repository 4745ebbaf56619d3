import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/log.js';
import type { CreatorReport } from '../../../runners/report/creator.js';
import { sendQuarterlyReports } from '../../../runners/report/worker.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { runCli } from '../../support/cli.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { startMailServer, type MailServer } from '../takedown/channels/mail-server.js';

/**
 * A creator report on a seeded database: findings of two works of one creator (and of another
 * creator's work, which must not count) spread over the quarter and its edges, removals before and
 * after its end, Ignored links, reported links of each outcome. Every figure the report gives is
 * computed again here in SQL of its own; the PDF is rendered by pdftoppm and read by pdftotext; the
 * e-mail is taken by a real SMTP server.
 */

const CREATOR = 'Hana Studio';
const START = '2026-07-01T00:00:00Z';
const END = '2026-10-01T00:00:00Z';
const HOSTS = ['toon-free.example', 'manga-zone.example', 'readfast.example', 'webtoonhub.example', 'scanlate.example'];
const SITES: Record<string, string | null> = { 'toon-free.example': 'toonfree', 'manga-zone.example': 'mangazone', 'readfast.example': null, 'webtoonhub.example': null, 'scanlate.example': 'scanlate' };
const FAMILIES: Record<string, string | null> = { 'toon-free.example': 'toon', 'manga-zone.example': 'toon', 'readfast.example': null, 'webtoonhub.example': 'hub', 'scanlate.example': null };

const catalog = [
  `apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: policy\nspec:\n  noticeSender: { name: Dana Reyes, organization: Harbor Anti-Piracy, email: antipiracy@harbor.example }\n`,
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: sky-garden\nspec:\n  type: film\n  title: Sky Garden\n  releaseDate: 2026-01-01\n  creator: { name: ${CREATOR}, email: hana@studio.example, slackUser: U0HANA }\n`,
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: ink-river-s1\nspec:\n  type: season\n  title: Ink River\n  season: 1\n  episodes: 12\n  releaseDate: 2026-02-01\n  creator: { name: hana studio }\n`,
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: other-work\nspec:\n  type: film\n  title: Other Work\n  releaseDate: 2026-01-01\n  creator: { name: Someone Else, email: else@example.com }\n`,
];

/** A small deterministic generator, so the seed is the same every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

let services: TestServices;
let mail: MailServer;
let out: string;

async function seed(): Promise<void> {
  const db = services.db.pool;
  const rand = lcg(42);
  const spanMs = Date.parse('2026-10-12T00:00:00Z') - Date.parse('2026-06-20T00:00:00Z');
  let n = 0;
  for (const [content, count] of [['sky-garden', 60], ['ink-river-s1', 35], ['other-work', 20]] as const) {
    for (let i = 0; i < count; i += 1) {
      n += 1;
      const host = HOSTS[Math.floor(rand() * HOSTS.length)]!;
      const firstSeen = new Date(Date.parse('2026-06-20T00:00:00Z') + Math.floor(rand() * spanMs));
      const fate = rand();
      const status = fate < 0.1 ? 'Ignore' : fate < 0.7 ? 'Complete' : fate < 0.85 ? 'In Progress' : 'Available';
      const url = `https://${host}/read/${content}/${n}`;
      const { rows } = await db.query<{ id: string }>(
        `insert into findings (content_id, url, normalized_url, host, site_id, family, source, score, first_seen, last_seen, takedown_status)
         values ($1, $2, $2, $3, $4, $5, 'web', 9, $6, $6, $7) returning id`,
        [content, url, host, SITES[host], FAMILIES[host], firstSeen, status]);
      const id = rows[0]!.id;
      if (status === 'Complete') {
        const removedAt = new Date(firstSeen.getTime() + Math.floor(rand() * 20 * 86_400_000) + 3_600_000);
        await db.query(`insert into audit_log (at, actor, action, object_kind, object_id, reason, details) values ($1, 'recheck', 'takedown-status', 'Finding', $2, 'gone', '{"from": "In Progress", "to": "Complete"}')`, [removedAt, id]);
        // Some links came back and were removed again: the first removal is the one that counts.
        if (rand() < 0.2) await db.query(`insert into audit_log (at, actor, action, object_kind, object_id, reason, details) values ($1, 'recheck', 'takedown-status', 'Finding', $2, 'gone again', '{"from": "In Progress", "to": "Complete"}')`, [new Date(removedAt.getTime() + 5 * 86_400_000), id]);
      }
    }
  }
  // Reported links: the creator's own and the community's, confirmed (some removed), rejected, waiting, and one nobody tied to a title.
  const removedFinding = await db.query<{ id: string }>(
    `select f.id from findings f where f.content_id = 'sky-garden' and f.first_seen >= $1 and exists (select 1 from audit_log a where a.object_id = f.id::text and a.details->>'to' = 'Complete' and a.at < $2) order by f.id limit 2`, [START, END]);
  const openFinding = await db.query<{ id: string }>(`select id from findings where content_id = 'ink-river-s1' and takedown_status = 'Available' order by id limit 1`);
  const reports: [string | null, string, string, string | null, string][] = [
    ['sky-garden', 'U0HANA', 'confirmed', removedFinding.rows[0]!.id, '2026-07-05T10:00:00Z'],
    ['sky-garden', 'U0FAN1', 'confirmed', removedFinding.rows[1]!.id, '2026-08-09T10:00:00Z'],
    ['sky-garden', 'U0FAN2', 'rejected', null, '2026-08-10T10:00:00Z'],
    ['sky-garden', 'U0HANA', 'queued', null, '2026-09-29T10:00:00Z'],
    ['sky-garden', 'U0FAN1', 'rejected', null, '2026-06-29T10:00:00Z'],
    [null, 'U0FAN3', 'confirmed', openFinding.rows[0]!.id, '2026-07-20T10:00:00Z'],
    [null, 'U0FAN4', 'queued', null, '2026-07-21T10:00:00Z'],
  ];
  for (const [i, [content, reporter, review, finding, at]] of reports.entries()) {
    await db.query(
      `insert into suspects (content_id, url, normalized_url, host, source, score, review, reporter, finding_id, first_seen, last_seen)
       values ($1, $2, $2, 'reported.example', 'report', 0, $3, $4, $5, $6, $6)`,
      [content, `https://reported.example/${i}`, review, reporter, finding, at]);
  }
}

/** The figures again, in SQL of the test's own. */
async function expected(): Promise<Map<string, { found: number; removed: number; median: number | null; topSite: string; topFamily: string | null; weeks: Map<string, { found: number; removed: number }> }>> {
  const db = services.db.pool;
  const per = await db.query<{ content_id: string; found: string; removed: string; median: number | null }>(
    `with first_complete as (
       select object_id, min(at) as at from audit_log where object_kind = 'Finding' and action = 'takedown-status' and details->>'to' = 'Complete' and at < $2 group by object_id
     )
     select f.content_id, count(*) as found, count(c.at) as removed,
            percentile_cont(0.5) within group (order by extract(epoch from c.at - f.first_seen) / 3600) as median
     from findings f left join first_complete c on c.object_id = f.id::text
     where f.first_seen >= $1 and f.first_seen < $2 and f.takedown_status <> 'Ignore'
     group by f.content_id`, [START, END]);
  const result = new Map<string, { found: number; removed: number; median: number | null; topSite: string; topFamily: string | null; weeks: Map<string, { found: number; removed: number }> }>();
  for (const r of per.rows) {
    const site = await db.query<{ name: string }>(
      `select coalesce(site_id, host) as name from findings where content_id = $1 and first_seen >= $2 and first_seen < $3 and takedown_status <> 'Ignore'
       group by 1 order by count(*) desc, 1 limit 1`, [r.content_id, START, END]);
    const family = await db.query<{ name: string }>(
      `select family as name from findings where content_id = $1 and first_seen >= $2 and first_seen < $3 and takedown_status <> 'Ignore' and family is not null
       group by 1 order by count(*) desc, 1 limit 1`, [r.content_id, START, END]);
    const weeks = await db.query<{ week: string; found: string; removed: string }>(
      `with first_complete as (
         select object_id, min(at) as at from audit_log where action = 'takedown-status' and details->>'to' = 'Complete' and at < $3 group by object_id
       ), cohort as (
         select f.first_seen, c.at as removed_at from findings f left join first_complete c on c.object_id = f.id::text
         where f.content_id = $1 and f.first_seen >= $2 and f.first_seen < $3 and f.takedown_status <> 'Ignore'
       )
       select to_char(w, 'YYYY-MM-DD') as week,
              (select count(*) from cohort where date_trunc('week', first_seen at time zone 'UTC') = w) as found,
              (select count(*) from cohort where date_trunc('week', removed_at at time zone 'UTC') = w) as removed
       from generate_series(date_trunc('week', $2::timestamptz at time zone 'UTC'), $3::timestamptz at time zone 'UTC' - interval '1 day', interval '1 week') as w`,
      [r.content_id, START, END]);
    result.set(r.content_id, {
      found: Number(r.found), removed: Number(r.removed), median: r.median, topSite: site.rows[0]!.name, topFamily: family.rows[0]?.name ?? null,
      weeks: new Map(weeks.rows.map((w) => [w.week, { found: Number(w.found), removed: Number(w.removed) }])),
    });
  }
  return result;
}

beforeAll(async () => {
  services = await openTestServices();
  mail = await startMailServer({ user: 'reports', pass: 's3cret-pass' });
  await applyCatalog(services.db.pool, ...catalog);
  await seed();
  out = mkdtempSync(path.join(tmpdir(), 'vigil-report-'));
});

afterAll(async () => {
  await mail?.close();
  await services?.close();
});

describe('vigil report creator', () => {
  let report: CreatorReport;

  it('writes the PDF, HTML, JSON and charts, and e-mails the report through the notice SMTP server', async () => {
    const run = await runCli(['report', 'creator', 'HANA studio', '--period', '2026-Q3', '--out', out, '--send'], { ...services.env, VIGIL_SMTP_URL: mail.url() }, out);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`2 work(s) of ${CREATOR}, 2026-Q3`);
    expect(run.stdout).toContain('e-mailed to hana@studio.example');
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining([
      'hana-studio-2026-Q3.pdf', 'hana-studio-2026-Q3.html', 'hana-studio-2026-Q3.json',
      'hana-studio-2026-Q3-sky-garden-weekly.svg', 'hana-studio-2026-Q3-sky-garden-weekly.png', 'hana-studio-2026-Q3-sky-garden-sites.svg', 'hana-studio-2026-Q3-sky-garden-sites.png',
      'hana-studio-2026-Q3-ink-river-s1-weekly.svg', 'hana-studio-2026-Q3-ink-river-s1-sites.png',
    ]));
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    report = JSON.parse(readFileSync(path.join(out, 'hana-studio-2026-Q3.json'), 'utf8')) as CreatorReport;
  });

  it('gives per work the figures that SQL computed independently gives', async () => {
    const want = await expected();
    expect(report.works.map((w) => w.contentId).sort()).toEqual(['ink-river-s1', 'sky-garden']);
    for (const w of report.works) {
      const e = want.get(w.contentId)!;
      expect(w.found, w.contentId).toBe(e.found);
      expect(w.removed, w.contentId).toBe(e.removed);
      expect(w.removalRate).toBeCloseTo(e.removed / e.found, 10);
      expect(w.medianHoursToRemoval).toBeCloseTo(e.median!, 6);
      expect(w.topSites[0]!.name).toBe(e.topSite);
      expect(w.topFamilies[0]?.name ?? null).toBe(e.topFamily);
      expect(new Map(w.weekly.map((x) => [x.week, { found: x.found, removed: x.removed }]))).toEqual(e.weeks);
    }
    // The seed is big enough to mean something: most links found, many removed, some not.
    const sky = want.get('sky-garden')!;
    expect(sky.found).toBeGreaterThan(30);
    expect(sky.removed).toBeGreaterThan(10);
    expect(sky.removed).toBeLessThan(sky.found);
    expect(report.totals.found).toBe(want.get('sky-garden')!.found + want.get('ink-river-s1')!.found);
    expect(want.get('other-work')!.found).toBeGreaterThan(0);
  });

  it("counts reported links by the creator's Slack user and by the community, with their outcome", async () => {
    const sky = report.works.find((w) => w.contentId === 'sky-garden')!;
    expect(sky.reports).toEqual([
      { by: 'creator', outcome: 'removed', count: 1 }, { by: 'creator', outcome: 'awaiting review', count: 1 },
      { by: 'community', outcome: 'removed', count: 1 }, { by: 'community', outcome: 'rejected', count: 1 },
    ]);
    const ink = report.works.find((w) => w.contentId === 'ink-river-s1')!;
    expect(ink.title).toBe('Ink River S1');
    expect(ink.reports).toEqual([{ by: 'community', outcome: 'confirmed', count: 1 }]);
    expect(report.totals.reports).toBe(5);
  });

  it('makes a PDF whose pages pdftoppm renders and whose text holds the title and the figures', () => {
    const pdf = path.join(out, 'hana-studio-2026-Q3.pdf');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    expect(text).toContain(`Enforcement report for ${CREATOR}, 2026-Q3`);
    expect(text).toContain('Sky Garden');
    expect(text).toContain('Ink River S1');
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))![1]);
    expect(pages).toBeGreaterThanOrEqual(1);
    const prefix = path.join(out, 'page');
    execFileSync('pdftoppm', ['-r', '40', '-gray', pdf, prefix]);
    const rendered = readdirSync(out).filter((f) => f.startsWith('page') && f.endsWith('.pgm'));
    expect(rendered).toHaveLength(pages);
    for (const file of rendered) {
      const pgm = readFileSync(path.join(out, file));
      // P5 header: magic, width height, maxval, then one byte per pixel.
      const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'))!;
      const pixels = pgm.subarray(header[0].length);
      expect(pixels.length).toBe(Number(header[1]) * Number(header[2]));
      const dark = pixels.filter((v) => v < 128).length;
      expect(dark / pixels.length, `${file} is blank`).toBeGreaterThan(0.002);
    }
    // The weekly chart drew its bars (red: found).
    expect(readFileSync(path.join(out, 'hana-studio-2026-Q3-sky-garden-weekly.svg'), 'utf8')).toMatch(/<path[^>]+fill="#d62728"/);
  });

  it('e-mailed an HTML part with the charts as inline images, a text part and the PDF', () => {
    expect(mail.received).toHaveLength(1);
    const m = mail.received[0]!;
    expect(m.user).toBe('reports');
    expect(m.to).toEqual(['hana@studio.example']);
    expect(m.from).toBe('antipiracy@harbor.example');
    const raw = m.raw.replace(/=\r\n/g, '');
    expect(raw).toMatch(/^Subject: Enforcement report for Hana Studio, 2026-Q3$/m);
    expect(raw).toContain('Content-Type: application/pdf; name=hana-studio-2026-Q3.pdf');
    expect(raw).toContain('Content-ID: <sky-garden-weekly.png@vigil.report>');
    expect(raw).toContain('cid:sky-garden-weekly.png@vigil.report');
    expect(raw.match(/Content-Type: image\/png/g)).toHaveLength(4);
    expect(raw).toContain('Content-Type: text/plain');
  });

  it('records the delivery with its audit row', async () => {
    const { rows } = await services.db.pool.query(`select kind, subject, period, channel, target, trigger from report_deliveries`);
    expect(rows).toEqual([{ kind: 'creator', subject: 'hana studio', period: '2026-Q3', channel: 'smtp', target: 'hana@studio.example', trigger: 'cli' }]);
    const audit = await services.db.pool.query(`select actor, object_id from audit_log where action = 'report-sent'`);
    expect(audit.rows[0]).toMatchObject({ object_id: 'creator:hana studio:2026-Q3' });
  });

  it('sends the quarter before on schedule, once per creator with an address, skipping it when run again', async () => {
    const deps = { pool: services.db.pool, config: { slack: services.config.slack, takedown: { ...services.config.takedown, smtpUrl: mail.url() } }, log: silentLogger };
    const first = await sendQuarterlyReports(deps, new Date('2026-10-01T09:00:00Z'));
    expect(first.sent.sort()).toEqual([CREATOR, 'Someone Else']);
    expect(mail.received.map((m) => m.to[0])).toEqual(['hana@studio.example', 'hana@studio.example', 'else@example.com']);
    const again = await sendQuarterlyReports(deps, new Date('2026-10-01T09:05:00Z'));
    expect(again.sent).toEqual([]);
    expect(again.skipped).toEqual([`${CREATOR}: already sent`, 'Someone Else: already sent']);
    expect(mail.received).toHaveLength(3);
  });

  it('refuses --send without a mail server (VIGIL-E0722) and says which Chromium could not start (VIGIL-E0723)', async () => {
    const noSmtp = await runCli(['report', 'creator', CREATOR, '--period', '2026-Q3', '--out', out, '--send'], services.env, out);
    expect(noSmtp.code).toBe(1);
    expect(noSmtp.stderr).toContain('error VIGIL-E0722');
    expect(noSmtp.stderr).toContain('VIGIL_SMTP_URL is not set');
    const noBrowser = await runCli(['report', 'creator', CREATOR, '--period', '2026-Q3', '--out', out], { ...services.env, VIGIL_MONITOR_CHROMIUM: '/nonexistent/chromium' }, out);
    expect(noBrowser.code).toBe(1);
    expect(noBrowser.stderr).toContain('error VIGIL-E0723');
    expect(noBrowser.stderr).toContain('/nonexistent/chromium');
    expect(mail.received).toHaveLength(3);
  });

  it('refuses an unknown creator with VIGIL-E0721, naming those known', async () => {
    const run = await runCli(['report', 'creator', 'Nobody', '--period', '2026-Q3', '--out', out], services.env, out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error VIGIL-E0721');
    expect(run.stderr).toContain('"Hana Studio"');
  });
});
