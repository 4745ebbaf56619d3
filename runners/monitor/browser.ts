import { VigilError } from '../../core/errors.js';
import { sniff, type VideoMedia } from './acquire.js';
import type { Fetcher } from './fetch.js';
import { followBudget } from './follow.js';
import { mediaKindOfUrl, parseHtml } from './html.js';

/**
 * The headless-browser fallback, for pages whose player appears only after their scripts run:
 * Debian's Chromium driven by playwright-core (imported only when asked for, so a machine without
 * either crawls without it). Every request the page makes is answered through the crawler's own
 * fetcher (context.route), so private-address rules, byte and time bounds hold for the browser
 * too; a media request is noted and never downloaded by the browser. Off by default
 * (VIGIL_MONITOR_BROWSER=1), bounded by pages per round (VIGIL_MONITOR_BROWSER_PAGES) and a timeout.
 */

export const BROWSER_ENV = 'VIGIL_MONITOR_BROWSER';
export const BROWSER_PAGES_ENV = 'VIGIL_MONITOR_BROWSER_PAGES';
export const CHROMIUM_ENV = 'VIGIL_MONITOR_CHROMIUM';
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const DEFAULT_BROWSER_PAGES = 10;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

export interface RenderedMedia {
  /** What the page's scripts asked for that is media (a file, an HLS or DASH playlist), in request order. */
  media: VideoMedia[];
  /** Requests answered, for the bound and the evidence. */
  requests: number;
}

export interface PageRenderer {
  render(url: string): Promise<RenderedMedia>;
  close(): Promise<void>;
}

export interface RendererOptions {
  executablePath?: string;
  /** Per page: load, scripts and the wait for a player. */
  timeoutMs?: number;
  /** After load, how long scripts get to set the player up. */
  settleMs?: number;
  /** Requests answered per page. */
  maxRequests?: number;
}

/** Whether the environment asks for the browser, and how many pages a round may render with it. */
export function browserSettings(env: Record<string, string | undefined> | undefined): { enabled: boolean; pages: number; executablePath: string } {
  const pagesRaw = env?.[BROWSER_PAGES_ENV];
  // The same whole-number rule (and error) as the follow budget.
  const pages = pagesRaw === undefined ? DEFAULT_BROWSER_PAGES : followBudget({ VIGIL_MONITOR_FOLLOW_LINKS: pagesRaw });
  return { enabled: env?.[BROWSER_ENV] === '1', pages, executablePath: env?.[CHROMIUM_ENV] || DEFAULT_CHROMIUM };
}

interface RouteLike {
  request(): { url(): string; method(): string; resourceType(): string };
  fulfill(o: { status: number; headers: Record<string, string>; body: Buffer }): Promise<void>;
  abort(): Promise<void>;
}

/** Starts Chromium; VIGIL-E0411 when playwright-core or the binary is missing. */
export async function launchRenderer(fetch: Fetcher, o: RendererOptions = {}): Promise<PageRenderer> {
  const executablePath = o.executablePath ?? DEFAULT_CHROMIUM;
  let browser: import('playwright-core').Browser;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (error) {
    throw new VigilError('BROWSER_UNAVAILABLE', `the headless browser could not start (${executablePath}): ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const timeoutMs = o.timeoutMs ?? 20_000;
  return {
    async render(url) {
      const found: VideoMedia[] = [];
      const note = (m: VideoMedia): void => { if (!found.some((f) => f.url === m.url)) found.push(m); };
      let requests = 0;
      const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: false });
      try {
        await context.route('**/*', async (route: RouteLike) => {
          const req = route.request();
          const target = req.url();
          if (!/^https?:/i.test(target) || req.method() !== 'GET' || requests >= (o.maxRequests ?? 60)) { await route.abort(); return; }
          const byName = mediaKindOfUrl(target);
          // The player asking for a file is the answer; the browser never needs its bytes.
          if (req.resourceType() === 'media' || byName === 'video') { note({ url: target, kind: byName ?? 'video' }); await route.abort(); return; }
          requests += 1;
          try {
            const res = await fetch(target, { accept: ['*'], maxBytes: 4 * 1024 * 1024, timeoutMs });
            const kind = req.resourceType() === 'document' ? undefined : sniff(res);
            if (kind === 'hls' || kind === 'dash') note({ url: res.finalUrl, kind });
            if (kind === 'media' && ['xhr', 'fetch', 'other'].includes(req.resourceType())) note({ url: res.finalUrl, kind: 'video' });
            const headers: Record<string, string> = { 'content-type': res.contentType || 'application/octet-stream' };
            await route.fulfill({ status: res.status, headers, body: res.body });
          } catch {
            await route.abort();
          }
        });
        const page = await context.newPage();
        await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
        await page.waitForTimeout(o.settleMs ?? 1_500);
        // What the scripts wrote into the page and its frames: a <video src> set at run time.
        for (const frame of page.frames()) {
          try {
            for (const m of parseHtml(await frame.content(), frame.url()).media) if (m.kind !== 'image') note({ url: m.url, kind: m.kind });
          } catch { /* a frame that went away */ }
        }
      } finally {
        await context.close();
      }
      return { media: found, requests };
    },
    close: () => browser.close(),
  };
}

/** A round's use of the browser: started on first need, at most `pages` renders, closed with the round. */
export interface BrowserFallback {
  pagesLeft(): number;
  render(url: string): Promise<RenderedMedia>;
  close(): Promise<void>;
}

/** The round's browser fallback when VIGIL_MONITOR_BROWSER=1, else undefined. */
export function browserFallback(fetch: Fetcher, env: Record<string, string | undefined> | undefined, o: RendererOptions = {}): BrowserFallback | undefined {
  const settings = browserSettings(env);
  if (!settings.enabled || settings.pages === 0) return undefined;
  let left = settings.pages;
  let renderer: Promise<PageRenderer> | undefined;
  return {
    pagesLeft: () => left,
    async render(url) {
      if (left <= 0) return { media: [], requests: 0 };
      left -= 1;
      renderer ??= launchRenderer(fetch, { executablePath: settings.executablePath, ...o });
      return (await renderer).render(url);
    },
    async close() {
      if (renderer) await (await renderer.catch(() => undefined))?.close();
    },
  };
}
