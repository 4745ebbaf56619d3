import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import catalogSchema from '../../schemas/catalog.schema.json' with { type: 'json' };
import contentSchema from '../../schemas/content.schema.json' with { type: 'json' };
import defsSchema from '../../schemas/defs.schema.json' with { type: 'json' };
import embedJobSchema from '../../schemas/embedjob.schema.json' with { type: 'json' };
import metadataSchema from '../../schemas/metadata.schema.json' with { type: 'json' };
import monitoringJobSchema from '../../schemas/monitoringjob.schema.json' with { type: 'json' };
import policySchema from '../../schemas/policy.schema.json' with { type: 'json' };
import recipientSchema from '../../schemas/recipient.schema.json' with { type: 'json' };
import siteSchema from '../../schemas/site.schema.json' with { type: 'json' };
import { diagnostic, type Diagnostic } from './diagnostics.js';
import type { RawDocument } from './parse.js';
import { isKind, KINDS, type AnyDocument, type Kind, type PathSegment } from './types.js';

const SCHEMA_BY_KIND: Record<Kind, { $id: string }> = {
  Content: contentSchema,
  Recipient: recipientSchema,
  MonitoringJob: monitoringJobSchema,
  EmbedJob: embedJobSchema,
  Site: siteSchema,
  Policy: policySchema,
};

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = (ajvFormats as unknown as { default: ajvFormats.FormatsPlugin }).default;

let validators: Record<Kind, ValidateFunction> | undefined;

/** Compiled once per process and cached: compiling is the slow part of ajv. */
function compiled(): Record<Kind, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true });
  addFormats(ajv, ['date', 'email']);
  ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
  for (const schema of [defsSchema, metadataSchema, catalogSchema, ...Object.values(SCHEMA_BY_KIND)]) ajv.addSchema(schema);
  const result = {} as Record<Kind, ValidateFunction>;
  for (const kind of KINDS) {
    const validate = ajv.getSchema(SCHEMA_BY_KIND[kind].$id);
    if (!validate) throw new Error(`schema for ${kind} did not compile`);
    result[kind] = validate;
  }
  validators = result;
  return result;
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function fieldName(path: readonly PathSegment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function hintOf(error: ErrorObject): string | undefined {
  const schema = error.parentSchema as { 'x-hint'?: string } | undefined;
  return schema?.['x-hint'];
}

/** Turns an ajv error into a sentence a catalog author can act on, and the path to point at. */
function describe(error: ErrorObject): { path: PathSegment[]; key: boolean; message: string } | undefined {
  const path = pathOf(error.instancePath);
  const field = fieldName(path) || 'document';
  const hint = hintOf(error);
  const withHint = (text: string): string => (hint ? `${text}: ${hint}` : text);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path, key: true, message: `${field} is missing required field "${String(params.missingProperty)}"` };
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      return { path: [...path, extra], key: true, message: `unknown field "${fieldName([...path, extra])}": remove it or check its spelling` };
    }
    case 'enum':
      return { path, key: false, message: `${field} must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path, key: false, message: `${field} must be ${JSON.stringify(params.allowedValue)}` };
    case 'type':
      return { path, key: false, message: withHint(`${field} must be ${params.type === 'integer' ? 'a whole number' : `a ${String(params.type)}`}`) };
    case 'format':
      if (params.format === 'date') return { path, key: false, message: `${field} is not a real date: ${hint ?? 'write yyyy-MM-dd'}` };
      return { path, key: false, message: withHint(`${field} is not a valid ${String(params.format)}`) };
    case 'pattern':
      return { path, key: false, message: withHint(`${field} has an invalid value ${JSON.stringify(error.data)}`) };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, key: false, message: withHint(`${field} must be ${String(params.comparison)} ${String(params.limit)}`) };
    case 'minLength':
      return { path, key: false, message: `${field} must not be empty` };
    case 'maxLength':
      return { path, key: false, message: `${field} is longer than ${String(params.limit)} characters` };
    case 'minItems':
      return { path, key: false, message: `${field} needs at least ${String(params.limit)} item(s)` };
    case 'maxItems':
      return { path, key: false, message: `${field} has more than ${String(params.limit)} items` };
    case 'uniqueItems':
      return { path, key: false, message: `${field} lists the same value twice (items ${String(params.j)} and ${String(params.i)})` };
    case 'oneOf':
      return { path, key: false, message: `${field} is not any of the accepted forms` };
    case 'propertyNames':
      return { path, key: false, message: `${field} has an invalid key name` };
    case 'not':
      return { path, key: true, message: withHint(`${field} does not apply here`) };
    case 'if':
      return undefined; // the failing 'then' branch already reported the real problem
    default:
      return { path, key: false, message: `${field}: ${error.message ?? 'is invalid'}` };
  }
}

/** Errors under a oneOf are noise when the oneOf itself is reported. */
function withoutOneOfNoise(errors: ErrorObject[]): ErrorObject[] {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  return errors.filter((e) => e.keyword === 'oneOf' || !oneOfPaths.some((p) => e.instancePath.startsWith(p) && e.schemaPath.includes('/oneOf/')));
}

function suggestKind(kind: unknown): string {
  const near = typeof kind === 'string' ? KINDS.find((k) => k.toLowerCase() === kind.toLowerCase().replace(/[\s_-]/g, '')) : undefined;
  return near ? `did you mean ${near}? (kinds are case-sensitive)` : `use one of ${KINDS.join(', ')}`;
}

/** Schema-checks raw documents; returns the typed ones that passed and a diagnostic per problem. */
export function validateDocuments(raw: readonly RawDocument[]): { documents: AnyDocument[]; diagnostics: Diagnostic[] } {
  const validate = compiled();
  const documents: AnyDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const doc of raw) {
    const { source } = doc;
    const value = doc.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      diagnostics.push(diagnostic('error', source.file, source.position, 'a catalog document must be a mapping with apiVersion, kind, metadata and spec'));
      continue;
    }
    const record = value as Record<string, unknown>;
    const kind = record.kind;
    const id = typeof (record.metadata as { id?: unknown } | undefined)?.id === 'string' ? (record.metadata as { id: string }).id : undefined;
    if (!isKind(kind)) {
      const message = kind === undefined
        ? `missing field "kind": set it to one of ${KINDS.join(', ')}`
        : `unknown kind ${JSON.stringify(kind)}: ${suggestKind(kind)}`;
      diagnostics.push(diagnostic('error', source.file, source.locate(kind === undefined ? [] : ['kind']), message, { id }));
      continue;
    }
    const check = validate[kind];
    if (check(value)) {
      documents.push({ ...(value as Omit<AnyDocument, 'source'>), source } as AnyDocument);
      continue;
    }
    for (const error of withoutOneOfNoise(check.errors ?? [])) {
      const described = describe(error);
      if (!described) continue;
      diagnostics.push(diagnostic('error', source.file, source.locate(described.path, described.key), described.message, { kind, id }));
    }
  }
  return { documents, diagnostics };
}
