/**
 * Reading RDAP answers (RFC 9083) defensively: servers differ in which members they send, nest
 * entities to any depth, give vCard values as strings or lists, and hide personal data in three
 * ways (RFC 9537 "redacted" members, placeholder values, remarks). Pure functions over parsed JSON;
 * nothing here touches the network.
 */

export interface RdapLink {
  rel: string;
  href: string;
  type: string;
}

export interface VCardContact {
  fn?: string;
  org?: string;
  emails: string[];
  tels: string[];
  urls: string[];
  /** Values that stand in for hidden data ("REDACTED FOR PRIVACY", "Please query the registrar…"). */
  placeholders: string[];
}

export interface RdapEntity {
  handle?: string;
  roles: string[];
  contact: VCardContact;
  entities: RdapEntity[];
  remarks: string[];
  links: RdapLink[];
}

export interface RdapObject {
  objectClassName: string;
  handle?: string;
  /** ldhName of a domain, name of an IP network. */
  name?: string;
  startAddress?: string;
  endAddress?: string;
  /** The network's CIDRs (the cidr0 extension), when the server sends them. */
  cidrs: string[];
  entities: RdapEntity[];
  links: RdapLink[];
  remarks: string[];
  /** Descriptions of what the server redacted (RFC 9537). */
  redacted: string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// Deep nesting is legal JSON but no real registry nests entities more than a few levels.
const MAX_DEPTH = 8;
const MAX_ENTITIES = 200;

const EMAIL = /^[^\s@<>()[\],;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const PLACEHOLDER = /redact|privacy|withheld|not ?disclosed|query the rdds|data protected|hidden/i;

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/** A vCard value as text: lists (structured values) are joined, "mailto:" and "tel:" URIs unwrapped. */
function vcardText(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(' ').trim() : str(value);
  return text === undefined || text === '' ? undefined : text;
}

/** jCard (RFC 7095): ["vcard", [[name, params, type, value, ...], ...]]. */
export function parseVCard(vcardArray: unknown): VCardContact {
  const contact: VCardContact = { emails: [], tels: [], urls: [], placeholders: [] };
  const properties = list(list(vcardArray)[1]);
  for (const property of properties) {
    if (!Array.isArray(property) || typeof property[0] !== 'string') continue;
    const name = property[0].toLowerCase();
    const value = vcardText(property[3]);
    if (value === undefined) continue;
    if (name === 'fn') contact.fn ??= value;
    else if (name === 'org') contact.org ??= value;
    else if (name === 'email') {
      const email = value.replace(/^mailto:/i, '');
      if (isEmail(email)) contact.emails.push(email);
      else contact.placeholders.push(value);
    } else if (name === 'tel') {
      const tel = value.replace(/^tel:/i, '');
      if (/^\+?[\d\s.()-]{5,40}(?:;ext=\d+)?$/.test(tel)) contact.tels.push(tel);
      else contact.placeholders.push(value);
    } else if (name === 'url') {
      if (/^https?:\/\//i.test(value)) contact.urls.push(value);
    }
    if ((name === 'fn' || name === 'org') && PLACEHOLDER.test(value)) contact.placeholders.push(value);
  }
  return contact;
}

function remarksOf(v: unknown): string[] {
  return list(v).filter(isObject).map((r) => [str(r.title), ...list(r.description).map(str)].filter(Boolean).join(': ')).filter((t) => t !== '');
}

function linksOf(v: unknown): RdapLink[] {
  return list(v).filter(isObject).flatMap((l) => {
    const href = str(l.href);
    return href ? [{ rel: (str(l.rel) ?? '').toLowerCase(), href, type: (str(l.type) ?? '').toLowerCase() }] : [];
  });
}

function entitiesOf(v: unknown, depth: number, budget: { left: number }): RdapEntity[] {
  if (depth > MAX_DEPTH) return [];
  const out: RdapEntity[] = [];
  for (const e of list(v)) {
    if (!isObject(e) || budget.left-- <= 0) continue;
    out.push({
      ...(str(e.handle) ? { handle: str(e.handle)! } : {}),
      roles: list(e.roles).map(str).filter((r): r is string => r !== undefined).map((r) => r.toLowerCase()),
      contact: parseVCard(e.vcardArray),
      entities: entitiesOf(e.entities, depth + 1, budget),
      remarks: remarksOf(e.remarks),
      links: linksOf(e.links),
    });
  }
  return out;
}

function cidrsOf(v: unknown): string[] {
  return list(v).filter(isObject).flatMap((c) => {
    const prefix = str(c.v4prefix) ?? str(c.v6prefix);
    return prefix && typeof c.length === 'number' ? [`${prefix}/${c.length}`] : [];
  });
}

/** The parts of an RDAP answer Vigil uses; undefined when it is not an RDAP object at all. */
export function parseRdapObject(json: unknown): RdapObject | undefined {
  if (!isObject(json)) return undefined;
  const objectClassName = str(json.objectClassName);
  if (!objectClassName) return undefined;
  return {
    objectClassName: objectClassName.toLowerCase(),
    ...(str(json.handle) ? { handle: str(json.handle)! } : {}),
    ...(str(json.ldhName) ?? str(json.unicodeName) ?? str(json.name) ? { name: (str(json.ldhName) ?? str(json.unicodeName) ?? str(json.name))! } : {}),
    ...(str(json.startAddress) ? { startAddress: str(json.startAddress)! } : {}),
    ...(str(json.endAddress) ? { endAddress: str(json.endAddress)! } : {}),
    cidrs: cidrsOf(json.cidr0_cidrs),
    entities: entitiesOf(json.entities, 0, { left: MAX_ENTITIES }),
    links: linksOf(json.links),
    remarks: remarksOf(json.remarks),
    redacted: list(json.redacted).filter(isObject).map((r) => {
      const name = isObject(r.name) ? str(r.name.description) ?? str(r.name.type) : undefined;
      return [name, str(r.reason) ?? (isObject(r.reason) ? str(r.reason.description) : undefined)].filter(Boolean).join(': ');
    }).filter((t) => t !== ''),
  };
}

/** Entities with `role`, searching nested entities too, outermost first. */
export function entitiesWithRole(entities: readonly RdapEntity[], role: string): RdapEntity[] {
  const out: RdapEntity[] = [];
  const walk = (list: readonly RdapEntity[]): void => {
    for (const e of list) if (e.roles.includes(role)) out.push(e);
    for (const e of list) walk(e.entities);
  };
  walk(entities);
  return out;
}

/**
 * Links to another RDAP server's copy of the object (rel "related"), as thin registries give for
 * the registrar's own RDAP service. Only RDAP JSON over http(s), never the URL already fetched.
 */
export function relatedRdapLinks(object: RdapObject, fetched: string): string[] {
  return object.links
    .filter((l) => l.rel === 'related' && (l.type === '' || l.type.includes('rdap+json') || l.type === 'application/json'))
    .map((l) => l.href)
    .filter((href) => /^https?:\/\//i.test(href) && href !== fetched);
}

/** Whether what an entity shows of itself, or the answer's remarks, say its contact data is hidden. */
export function looksRedacted(object: RdapObject, entities: readonly RdapEntity[]): string | undefined {
  const placeholder = entities.flatMap((e) => e.contact.placeholders)[0];
  if (placeholder) return placeholder;
  // Only what hides the abuse or registrar contact: a redacted registrant e-mail is the norm and beside the point.
  const redacted = object.redacted.find((r) => /abuse|registrar/i.test(r));
  if (redacted) return redacted;
  return [...object.remarks, ...entities.flatMap((e) => e.remarks)].find((r) => PLACEHOLDER.test(r));
}
