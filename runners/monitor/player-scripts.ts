/**
 * Pure: the media a player set-up names in script text, read without running the script. Pirate
 * players are a handful of libraries configured the same few ways: jwplayer().setup({ file | sources
 * | playlist }), video.js src(), hls.js loadSource(), Clappr { source }, Plyr { sources: [{ src }] },
 * a bare `file:` / `sources:` / `src:` object, a countdown's `location.href = '…'`, and strings hidden
 * behind atob(). What a string is (a file, HLS, DASH, a page) is decided later from its URL and the
 * response, not from the key it was found under.
 */

export interface ScriptFinding {
  /** Absolute http(s) URL. */
  url: string;
  /** Where in the script it was named: the media of a player, or a page a countdown or a button leads to. */
  role: 'media' | 'next' | 'page-image';
}

/** A path that is media by its name. */
export const MEDIA_PATH = /\.(mp4|m4v|mkv|webm|mov|avi|flv|ts|m3u8|mpd)$/i;

// Keys under which player libraries take their media; a value there is media whatever its name.
const PLAYER_KEY = String.raw`(?:file|source|sources|src|hls|hlsUrl|dash|dashUrl|stream|streamUrl|videoUrl|video_url|contentUrl|mp4|m3u8)`;
const QUOTED = String.raw`(["'\x60])([^"'\x60\s<>]{4,2000})\1`;
const KEYED = new RegExp(String.raw`["']?\b${PLAYER_KEY}["']?\s*[:=]\s*(?:\[\s*)?(?:\{\s*["']?(?:src|file|url)["']?\s*:\s*)?${QUOTED}`, 'gi');
const CALLED = new RegExp(String.raw`\.(?:loadSource|src|load|setSrc|attachSource)\(\s*(?:\{\s*["']?(?:src|file)["']?\s*:\s*)?${QUOTED}`, 'g');
const NAVIGATE = new RegExp(String.raw`(?:location(?:\.href)?\s*=|location\.(?:assign|replace)\(|window\.open\()\s*${QUOTED}`, 'g');
const ANY_STRING = new RegExp(QUOTED, 'g');
const READER_IMAGES = /["']?\b(?:images|pages|chapter_images|chapterImages|imgs)["']?\s*[:=]\s*\[([^\]]{0,200000})\]/gi;
const READER_IMAGE_PATH = /\.(png|jpe?g|webp|gif|avif)$/i;
const ATOB = /atob\(\s*(["'])([A-Za-z0-9+/=]{8,4000})\1\s*\)/g;

/** JavaScript string escapes that hide a URL from a plain search (`https:\/\/`, `\u002F`, `\x2F`). */
export function unescapeScript(text: string): string {
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\\//g, '/');
}

function resolved(ref: string, base: string): string | undefined {
  try {
    const u = new URL(ref, base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    u.hash = '';
    return u.href;
  } catch {
    return undefined;
  }
}

/** Whether a string can be a media reference at all (not a type name, a selector, a word). */
function looksLikeReference(s: string): boolean {
  return /^(https?:)?\/\//i.test(s) || s.startsWith('/') || s.startsWith('./') || s.startsWith('../') || MEDIA_PATH.test(s.split(/[?#]/)[0]!);
}

function isScriptOrStyle(url: string): boolean {
  return /\.(js|mjs|css|json|png|jpe?g|gif|svg|webp|ico|woff2?)$/i.test(new URL(url).pathname);
}

export function scriptMedia(script: string, base: string): ScriptFinding[] {
  const texts = [unescapeScript(script)];
  const out = new Map<string, ScriptFinding['role']>();
  const addImage = (ref: string): void => {
    const url = resolved(ref, base);
    if (url && !out.has(url)) out.set(url, 'page-image');
  };
  const add = (ref: string, role: ScriptFinding['role']): void => {
    const url = resolved(ref, base);
    if (url && !out.has(url) && (role === 'next' || !isScriptOrStyle(url))) out.set(url, role);
  };
  for (const m of texts[0]!.matchAll(ATOB)) {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    // atob("aHR0cHM6Ly9…") is a whole address more often than a script.
    if (/^https?:\/\/[^\s"'<>]+$/i.test(decoded.trim())) add(decoded.trim(), 'media'); else texts.push(decoded);
  }
  for (const text of texts) {
    // A comic reader's chapter (ts_reader.run, MangaReader themes, chapter_images) lists its page images.
    for (const m of text.matchAll(READER_IMAGES)) {
      for (const q of m[1]!.matchAll(ANY_STRING)) if (READER_IMAGE_PATH.test(q[2]!.split(/[?#]/)[0]!)) addImage(q[2]!);
    }
    for (const m of text.matchAll(KEYED)) {
      const ref = m[2]!;
      if (!looksLikeReference(ref)) continue;
      // `src: "/js/app.js"` is a script, not a player's media (add() leaves those out).
      add(ref, 'media');
    }
    for (const m of text.matchAll(CALLED)) if (looksLikeReference(m[2]!)) add(m[2]!, 'media');
    for (const m of text.matchAll(NAVIGATE)) if (looksLikeReference(m[2]!)) add(m[2]!, 'next');
    // Any other string that names a media file by its path ("var u = 'https://cdn/x/index.m3u8'").
    for (const m of text.matchAll(ANY_STRING)) {
      const ref = m[2]!;
      // A bare name ("Show.S01E02.mp4" under a file's `name`) is what the file is called, not where it is.
      if (MEDIA_PATH.test(ref.split(/[?#]/)[0]!) && ref.includes('/') && looksLikeReference(ref)) add(ref, 'media');
    }
  }
  return [...out].map(([url, role]) => ({ url, role }));
}
