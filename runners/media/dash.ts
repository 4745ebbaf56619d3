import { Parser } from 'htmlparser2';
import { VigilError } from '../../core/errors.js';
import { repeatingSegments, type ByteRange, type MediaPart } from './hls.js';

/**
 * Pure MPEG-DASH (ISO/IEC 23009-1) reading for downloads: the video Representations of an MPD and,
 * for the one picked, its initialization segment and media segments in order: SegmentTemplate with
 * $Number$ or $Time$ (a fixed @duration or a SegmentTimeline), SegmentList, and SegmentBase / a
 * plain BaseURL (one file). BaseURL and SegmentTemplate attributes inherit MPD → Period →
 * AdaptationSet → Representation as the standard says. No I/O here: leak-download.ts fetches.
 */

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** A tiny element tree of an XML document (names without namespace prefixes, as DASH needs). */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const parser = new Parser({
    onopentag(name, attrs) {
      const node: XmlNode = { name: name.replace(/^.*:/, ''), attrs, children: [], text: '' };
      stack.at(-1)!.children.push(node);
      stack.push(node);
    },
    ontext(text) { stack.at(-1)!.text += text; },
    onclosetag() { if (stack.length > 1) stack.pop(); },
  }, { xmlMode: true, decodeEntities: true });
  parser.write(xml);
  parser.end();
  return root;
}

const kids = (n: XmlNode | undefined, name: string): XmlNode[] => (n ? n.children.filter((c) => c.name === name) : []);
const kid = (n: XmlNode | undefined, name: string): XmlNode | undefined => kids(n, name)[0];

/** ISO 8601 durations as DASH writes them (PT1H2M3.5S, P1DT2H): seconds. */
export function isoDurationSeconds(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return (y! * 365 + mo! * 30 + d!) * 86_400 + h! * 3600 + mi! * 60 + s!;
}

function unreadable(url: string, why: string): VigilError {
  return new VigilError('PLAYLIST_UNREADABLE', `the DASH manifest ${url} ${why}`);
}

function loops(url: string, why: string): VigilError {
  return new VigilError('PLAYLIST_LOOPS', `the DASH manifest ${url} ${why}`);
}

export interface TimelineEntry {
  t?: number;
  d: number;
  r: number;
}

/** How a Representation names its segments. */
export type Addressing =
  | { kind: 'template'; media: string; initialization?: string; startNumber: number; timescale: number; duration?: number; presentationTimeOffset: number; timeline?: TimelineEntry[] }
  | { kind: 'list'; initialization?: MediaPart; segments: MediaPart[] }
  | { kind: 'single' };

export interface DashRepresentation {
  id: string;
  bandwidth: number;
  width?: number;
  height?: number;
  mimeType: string;
  codecs?: string;
  /** The BaseURL in force for this Representation, resolved. */
  baseUrl: string;
  /** ContentProtection on the Representation or its AdaptationSet: the segments are encrypted. */
  protected: boolean;
  addressing: Addressing;
  audioOnly: boolean;
  video: boolean;
}

export interface DashPeriod {
  id?: string;
  /** Seconds, from @duration or what the MPD's duration leaves after @start. */
  duration?: number;
  /** A remote Period (xlink:href), resolved; Vigil does not fetch remote elements. */
  xlinkHref?: string;
  representations: DashRepresentation[];
}

export interface DashManifest {
  type: 'static' | 'dynamic';
  /** mediaPresentationDuration, seconds. */
  duration?: number;
  /** MPD.Location, resolved: where the manifest says it lives now. */
  location?: string;
  periods: DashPeriod[];
}

function resolve(ref: string, base: string, mpd: string): string {
  try {
    const u = new URL(ref.trim(), base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(u.protocol);
    return u.href;
  } catch {
    throw unreadable(mpd, `names ${JSON.stringify(ref.slice(0, 200))}, which is not an http(s) URL`);
  }
}

function withBase(node: XmlNode, base: string, mpd: string): string {
  const b = kid(node, 'BaseURL');
  return b && b.text.trim() !== '' ? resolve(b.text, base, mpd) : base;
}

function range(value: string | undefined): ByteRange | undefined {
  const m = value ? /^(\d+)-(\d+)$/.exec(value.trim()) : null;
  return m ? { offset: Number(m[1]), length: Number(m[2]) - Number(m[1]) + 1 } : undefined;
}

/** SegmentTemplate attributes with inheritance: the nearest element that sets each one wins. */
function templateOf(levels: (XmlNode | undefined)[]): Addressing | undefined {
  const templates = levels.map((l) => kid(l, 'SegmentTemplate')).filter((t): t is XmlNode => t !== undefined);
  if (templates.length === 0) return undefined;
  const attr = (name: string): string | undefined => templates.map((t) => t.attrs[name]).reverse().find((v) => v !== undefined);
  const timelineNode = templates.map((t) => kid(t, 'SegmentTimeline')).reverse().find((t) => t !== undefined);
  const media = attr('media');
  if (!media) return undefined;
  const initialization = attr('initialization');
  const duration = attr('duration');
  return {
    kind: 'template', media, ...(initialization ? { initialization } : {}),
    startNumber: Number(attr('startNumber') ?? 1), timescale: Number(attr('timescale') ?? 1) || 1,
    ...(duration ? { duration: Number(duration) } : {}), presentationTimeOffset: Number(attr('presentationTimeOffset') ?? 0),
    ...(timelineNode ? { timeline: kids(timelineNode, 'S').map((s) => ({ ...(s.attrs.t === undefined ? {} : { t: Number(s.attrs.t) }), d: Number(s.attrs.d), r: Number(s.attrs.r ?? 0) })) } : {}),
  };
}

function listOf(levels: (XmlNode | undefined)[], base: string, mpd: string): Addressing | undefined {
  const list = levels.map((l) => kid(l, 'SegmentList')).reverse().find((t) => t !== undefined);
  if (!list) return undefined;
  const init = kid(list, 'Initialization');
  const initRange = range(init?.attrs.range);
  const segments = kids(list, 'SegmentURL').map((s) => {
    const r = range(s.attrs.mediaRange);
    return { url: s.attrs.media ? resolve(s.attrs.media, base, mpd) : base, ...(r ? { range: r } : {}) };
  });
  return {
    kind: 'list', segments,
    ...(init ? { initialization: { url: init.attrs.sourceURL ? resolve(init.attrs.sourceURL, base, mpd) : base, ...(initRange ? { range: initRange } : {}) } } : {}),
  };
}

/** Parses an MPD fetched from `url` (after redirects). */
export function parseMpd(xml: string, url: string): DashManifest {
  const mpdNode = kid(parseXml(xml), 'MPD');
  if (!mpdNode) throw unreadable(url, 'has no <MPD> element');
  const type = mpdNode.attrs.type === 'dynamic' ? 'dynamic' : 'static';
  const duration = isoDurationSeconds(mpdNode.attrs.mediaPresentationDuration);
  const mpdBase = withBase(mpdNode, url, url);
  const location = kid(mpdNode, 'Location');
  const periodNodes = kids(mpdNode, 'Period');
  const periods = periodNodes.map((p, i): DashPeriod => {
    const start = isoDurationSeconds(p.attrs.start) ?? 0;
    const nextStart = isoDurationSeconds(periodNodes[i + 1]?.attrs.start);
    const pDuration = isoDurationSeconds(p.attrs.duration) ?? (nextStart !== undefined ? nextStart - start : duration !== undefined ? duration - start : undefined);
    const href = p.attrs['xlink:href'] ?? p.attrs.href;
    const periodBase = withBase(p, mpdBase, url);
    const representations: DashRepresentation[] = [];
    for (const set of kids(p, 'AdaptationSet')) {
      const setBase = withBase(set, periodBase, url);
      for (const rep of kids(set, 'Representation')) {
        const base = withBase(rep, setBase, url);
        const mimeType = rep.attrs.mimeType ?? set.attrs.mimeType ?? '';
        const contentType = set.attrs.contentType ?? '';
        const width = Number(rep.attrs.width ?? set.attrs.width ?? 0) || undefined;
        const height = Number(rep.attrs.height ?? set.attrs.height ?? 0) || undefined;
        const video = mimeType.startsWith('video/') || contentType === 'video' || (width !== undefined && height !== undefined);
        const audio = mimeType.startsWith('audio/') || contentType === 'audio';
        const levels = [p, set, rep];
        const codecs = rep.attrs.codecs ?? set.attrs.codecs;
        representations.push({
          id: rep.attrs.id ?? '', bandwidth: Number(rep.attrs.bandwidth ?? 0) || 0, ...(width ? { width } : {}), ...(height ? { height } : {}),
          mimeType, ...(codecs ? { codecs } : {}), baseUrl: base,
          protected: kids(set, 'ContentProtection').length > 0 || kids(rep, 'ContentProtection').length > 0,
          addressing: templateOf(levels) ?? listOf(levels, base, url) ?? { kind: 'single' },
          audioOnly: audio && !video, video,
        });
      }
    }
    return {
      ...(p.attrs.id ? { id: p.attrs.id } : {}), ...(pDuration !== undefined ? { duration: pDuration } : {}),
      ...(href ? { xlinkHref: resolve(href, mpdBase, url) } : {}), representations,
    };
  });
  return { type, ...(duration !== undefined ? { duration } : {}), ...(location && location.text.trim() ? { location: resolve(location.text, url, url) } : {}), periods };
}

/** $RepresentationID$, $Bandwidth$, $Number[%0Nd]$, $Time[%0Nd]$ and $$, as the standard defines them. */
export function fillTemplate(template: string, values: { id: string; bandwidth: number; number?: number; time?: number }): string {
  return template.replace(/\$(RepresentationID|Bandwidth|Number|Time|)(?:%0(\d+)d)?\$/g, (_m, name: string, width: string | undefined) => {
    if (name === '') return '$';
    const raw = name === 'RepresentationID' ? values.id : String(name === 'Bandwidth' ? values.bandwidth : name === 'Number' ? values.number : values.time);
    return width && name !== 'RepresentationID' ? raw.padStart(Number(width), '0') : raw;
  });
}

export interface DashParts {
  init?: MediaPart;
  segments: MediaPart[];
}

/**
 * Pure: the parts of one Representation, in order, refusing what is not one finite copy: more
 * segments than `maxSegments`, a timeline without an end, a list that repeats, a segment that is
 * the manifest itself.
 */
export function dashParts(rep: DashRepresentation, period: DashPeriod, mpdUrl: string, maxSegments: number): DashParts {
  if (rep.protected) throw unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)} is encrypted (ContentProtection); Vigil does not decrypt leaks`);
  const tooMany = (): VigilError => unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)} has more than ${maxSegments} segments, the bound for one download`);
  const a = rep.addressing;
  let parts: DashParts;
  if (a.kind === 'single') {
    parts = { segments: [{ url: rep.baseUrl }] };
  } else if (a.kind === 'list') {
    if (a.segments.length === 0) throw unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)} has a SegmentList without SegmentURL`);
    if (a.segments.length > maxSegments) throw tooMany();
    const repeats = repeatingSegments(a.segments);
    if (repeats) throw loops(mpdUrl, `Representation ${JSON.stringify(rep.id)}: its SegmentList repeats (${'period' in repeats ? `the same ${repeats.period} segment${repeats.period === 1 ? '' : 's'} over and over` : `${repeats.distinct} distinct of ${a.segments.length}`})`);
    parts = { ...(a.initialization ? { init: a.initialization } : {}), segments: a.segments };
  } else {
    const fill = (v: { number?: number; time?: number }): string => resolve(fillTemplate(a.media, { id: rep.id, bandwidth: rep.bandwidth, ...v }), rep.baseUrl, mpdUrl);
    const segments: MediaPart[] = [];
    if (a.timeline) {
      let time = 0;
      let number = a.startNumber;
      const end = period.duration === undefined ? undefined : a.presentationTimeOffset + period.duration * a.timescale;
      for (const [i, s] of a.timeline.entries()) {
        if (!(s.d > 0)) throw unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)}: SegmentTimeline S #${i + 1} has no positive @d`);
        if (s.t !== undefined) time = s.t;
        const nextT = a.timeline[i + 1]?.t;
        let count: number;
        if (s.r >= 0) count = s.r + 1;
        else {
          // r = -1: repeat until the next S@t, or the end of the Period; without either the list never ends.
          const until = nextT ?? end;
          if (until === undefined) throw loops(mpdUrl, `Representation ${JSON.stringify(rep.id)}: SegmentTimeline S #${i + 1} repeats without end (r="-1" and no Period duration)`);
          count = Math.ceil((until - time) / s.d);
        }
        for (let k = 0; k < count; k++) {
          if (segments.length >= maxSegments) throw tooMany();
          segments.push({ url: fill({ number, time }) });
          time += s.d;
          number++;
        }
      }
    } else {
      if (!a.duration || !(a.duration > 0)) throw unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)}: SegmentTemplate has neither @duration nor a SegmentTimeline`);
      if (period.duration === undefined) throw unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)}: the Period has no duration (no Period@duration or MPD@mediaPresentationDuration), so its segments cannot be counted`);
      const count = Math.ceil((period.duration * a.timescale) / a.duration - 1e-9);
      if (count > maxSegments) throw tooMany();
      for (let k = 0; k < count; k++) segments.push({ url: fill({ number: a.startNumber + k, time: a.presentationTimeOffset + k * a.duration }) });
    }
    if (segments.length === 0) throw unreadable(mpdUrl, `Representation ${JSON.stringify(rep.id)} lists no segments`);
    const initUrl = a.initialization ? resolve(fillTemplate(a.initialization, { id: rep.id, bandwidth: rep.bandwidth }), rep.baseUrl, mpdUrl) : undefined;
    parts = { ...(initUrl ? { init: { url: initUrl } } : {}), segments };
  }
  const self = [parts.init, ...parts.segments].find((p) => p !== undefined && p.url === mpdUrl && p.range === undefined);
  if (self) throw loops(mpdUrl, 'refers back to itself: a segment of its Representation is the manifest');
  return parts;
}
