import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { diagnostic, type Diagnostic } from './diagnostics.js';
import type { PathSegment, Position, SourceRef } from './types.js';

/** A catalog file as bytes from disk, git or the GitHub API. */
export interface SourceFile {
  /** Path relative to the catalog root, with '/' separators. */
  path: string;
  content: Buffer | string;
}

/** A YAML document that parsed, before any schema check. */
export interface RawDocument {
  value: unknown;
  source: SourceRef;
}

/** Limits that keep hostile input from exhausting memory or time. */
export const PARSE_LIMITS = {
  maxFileBytes: 2 * 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 64,
  maxDocumentsPerFile: 20_000,
};

const START: Position = { line: 1, col: 1 };

function decodeText(file: SourceFile): { text: string } | { problem: string } {
  const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
  if (bytes.length > PARSE_LIMITS.maxFileBytes) {
    const mib = (bytes.length / 1024 / 1024).toFixed(1);
    return { problem: `file is ${mib} MiB; catalog files may be at most ${PARSE_LIMITS.maxFileBytes / 1024 / 1024} MiB: split it into several files` };
  }
  if (bytes.includes(0)) return { problem: 'file holds binary data (a NUL byte), not YAML text: remove it from the catalog' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    return { problem: 'file is not UTF-8 text: save it as UTF-8' };
  }
}

/**
 * Flow collections nest without indentation, so a few kilobytes of '[' can drive a recursive parser
 * deep. Reject documents nested deeper than any catalog needs before handing them to the parser.
 */
function excessiveNesting(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '#') comment = true;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth > PARSE_LIMITS.maxDepth) return i;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

function depthOf(node: unknown, limit: number, depth = 0): boolean {
  if (depth > limit) return true;
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      if (isPair(item)) {
        if (depthOf(item.value, limit, depth + 1)) return true;
      } else if (depthOf(item, limit, depth + 1)) return true;
    }
  }
  return false;
}

function locateIn(doc: Document, lines: LineCounter, path: readonly PathSegment[], key: boolean): Position {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      keyNode = undefined;
      node = node.items[segment];
    } else break;
  }
  const target = key && keyNode ? keyNode : ((node as Node | null) ?? keyNode);
  const offset = target?.range?.[0];
  return offset === undefined ? START : lines.linePos(offset);
}

/**
 * Keeping every parsed syntax tree alive for `locate` holds gigabytes for a catalog of 100,000
 * documents and makes loading it mostly garbage collection. Only the file's text is kept; the
 * first `locate` (a diagnostic, so rare) parses the file again, once, for all its documents.
 */
function lazyLocators(text: string): (index: number) => SourceRef['locate'] {
  let parsed: { docs: Document[]; lines: LineCounter } | undefined;
  const tree = (): { docs: Document[]; lines: LineCounter } => {
    if (!parsed) {
      const lines = new LineCounter();
      const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
      parsed = { docs: Array.isArray(docs) ? docs : [], lines };
    }
    return parsed;
  };
  return (index) => (path, key = false) => {
    const { docs, lines } = tree();
    const doc = docs[index];
    return doc ? locateIn(doc, lines, path, key) : START;
  };
}

/** Parses one file into raw documents, or diagnostics that say where and why it is not usable YAML. */
export function parseFile(file: SourceFile): { documents: RawDocument[]; diagnostics: Diagnostic[] } {
  const decoded = decodeText(file);
  if ('problem' in decoded) return { documents: [], diagnostics: [diagnostic('error', file.path, START, decoded.problem)] };
  const text = decoded.text;
  const lines = new LineCounter();
  const deep = excessiveNesting(text);
  if (deep !== undefined) {
    const position = positionOf(text, deep);
    return { documents: [], diagnostics: [diagnostic('error', file.path, position, `nesting deeper than ${PARSE_LIMITS.maxDepth} levels: catalog documents are never this deep`)] };
  }
  const documents: RawDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const locators = lazyLocators(text);
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > PARSE_LIMITS.maxDocumentsPerFile) {
    return { documents: [], diagnostics: [diagnostic('error', file.path, START, `file holds ${list.length} documents; split it into files of at most ${PARSE_LIMITS.maxDocumentsPerFile}`)] };
  }
  list.forEach((doc, index) => {
    const position = lines.linePos(doc.contents?.range?.[0] ?? doc.range[0]);
    // Warnings are errors here: a catalog is plain YAML, and an unresolved tag (!!js/function,
    // !custom) would otherwise silently become a string.
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
      for (const error of problems) {
        diagnostics.push(diagnostic('error', file.path, lines.linePos(errorOffset(text, error.code, error.message, error.pos[0])), yamlMessage(error.code, error.message)));
      }
      return;
    }
    // An empty document (only comments, or a bare '---') is allowed and holds nothing.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    if (depthOf(doc.contents, PARSE_LIMITS.maxDepth)) {
      diagnostics.push(diagnostic('error', file.path, position, `nesting deeper than ${PARSE_LIMITS.maxDepth} levels: catalog documents are never this deep`));
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: PARSE_LIMITS.maxAliasCount });
    } catch (error) {
      const message = error instanceof ReferenceError || /alias/i.test(String((error as Error).message))
        ? `too many alias expansions (more than ${PARSE_LIMITS.maxAliasCount}): write the values out instead of nesting aliases`
        : `cannot read this document: ${(error as Error).message}`;
      diagnostics.push(diagnostic('error', file.path, position, message));
      return;
    }
    documents.push({ value, source: { file: file.path, index, position, locate: locators(index) } });
  });
  return { documents, diagnostics };
}

function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * The parser notices an unclosed quote or bracket only where the input stops making sense; the
 * author needs the line where it was opened, which is the last such character before that point.
 */
function errorOffset(text: string, code: string, message: string, offset: number): number {
  const opener = code === 'MISSING_CHAR'
    ? /Missing closing (["'])quote/.exec(message)?.[1]
    : /end with an? ([\]}])/.exec(message)?.[1] === ']' ? '[' : /end with an? ([\]}])/.exec(message) ? '{' : undefined;
  if (!opener) return offset;
  const opened = text.lastIndexOf(opener, Math.max(0, offset - 1));
  return opened >= 0 ? opened : offset;
}

function yamlMessage(code: string, message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  const trimmed = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `${trimmed}: each key may appear once in a mapping`;
  if (code === 'TAG_RESOLVE_FAILED') return `${trimmed.replace('Unresolved tag', 'unknown YAML tag')}: write plain values; catalog files take no tags`;
  if (code === 'MISSING_CHAR' && /quote/.test(trimmed)) return `invalid YAML: this quoted string is never closed: ${trimmed}`;
  return `invalid YAML: ${trimmed}`;
}
