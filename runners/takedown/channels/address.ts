import { VigilError } from '../../../core/errors.js';

/**
 * A mail address a notice may go to, checked before any connection: the abuse contact comes from
 * the catalog or from RDAP data a registrar wrote, so a line break (a forged header, a second
 * recipient) or a name that no mail server can reach is refused here with a reason, never handed
 * to SMTP to guess at. Deliberately narrower than RFC 5322: no quoted local parts, no comments, no
 * IP literals, which no abuse desk uses.
 */

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** Names that never reach a mail server on the Internet (RFC 6761); .example and .test stay usable for labs. */
const UNREACHABLE = new Set(['localhost', 'invalid', 'local', 'arpa']);

function refuse(value: string, why: string): never {
  throw new VigilError('NOTICE_ADDRESS_INVALID', `${JSON.stringify(value.slice(0, 120))} is not an address a notice can be sent to: ${why}`);
}

/** The address, trimmed and with its domain lower-cased; NOTICE_ADDRESS_INVALID otherwise. */
export function mailAddress(value: string): string {
  if (/[\r\n]/.test(value)) refuse(value, 'it holds a line break');
  const address = value.trim();
  if (/[\s\u0000-\u001f\u007f<>,;"()[\]\\]/.test(address)) refuse(value, 'it holds a space, a control character or a list separator');
  const parts = address.split('@');
  if (parts.length !== 2) refuse(value, parts.length === 1 ? 'it has no @' : 'it has more than one @');
  const [local = '', rawDomain = ''] = parts;
  if (local.length === 0 || local.length > 64 || !LOCAL.test(local)) refuse(value, 'the part before @ is empty, too long or not plain');
  const domain = rawDomain.toLowerCase().replace(/\.$/, '');
  if (domain.length === 0 || domain.length > 253) refuse(value, 'the domain is empty or too long');
  const labels = domain.split('.');
  if (labels.length < 2) refuse(value, `${domain} is not a domain with a top-level part`);
  if (!labels.every((label) => LABEL.test(label))) refuse(value, `${domain} is not a domain name (letters, digits and hyphens between dots; IDNs in xn-- form)`);
  const tld = labels[labels.length - 1] ?? '';
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) refuse(value, `.${tld} is not a top-level domain`);
  if (UNREACHABLE.has(tld)) refuse(value, `.${tld} never reaches a mail server`);
  return `${local}@${domain}`;
}
