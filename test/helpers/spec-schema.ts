/**
 * Checks a value against a schema of one of Infobip's OpenAPI specs (shared/reference/infobip-openapi,
 * beside the checkout as in CI): types, required fields, enums, string lengths and Infobip's
 * date-time format, following local `$ref`s, `allOf` and discriminator mappings. Enough to say a
 * rendered webhook body is what the spec's receiver expects; not a general JSON Schema validator
 * (unknown keywords such as readOnly are ignored, as the spec's own examples need).
 */
import { existsSync, readFileSync } from 'node:fs';

type Schema = Record<string, any>;

const SPEC_DIR = new URL('../../../shared/reference/infobip-openapi/', import.meta.url);

/** The spec, or null where the reference directory is not beside the checkout (tests then skip). */
export function loadSpec(file: string): Schema | null {
  const url = new URL(file, SPEC_DIR);
  return existsSync(url) ? JSON.parse(readFileSync(url, 'utf8')) : null;
}

/** The JSON body schema of a webhook (`webhooks[name].post.requestBody`). */
export function webhookBodySchema(spec: Schema, name: string): Schema {
  const schema = spec.webhooks?.[name]?.post?.requestBody?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`webhook ${name} has no JSON body schema`);
  return schema;
}

/** Infobip's `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (e.g. 2019-04-09T16:01:56.494+0000). */
const INFOBIP_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/;

function typeProblem(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return value === null || typeof value !== 'object' || Array.isArray(value);
    case 'array':
      return !Array.isArray(value);
    case 'integer':
      return !Number.isInteger(value);
    case 'number':
      return typeof value !== 'number';
    default:
      return typeof value !== type;
  }
}

/** Every problem of `value` against `schema` (empty: valid), each as "path: what". */
export function schemaProblems(spec: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  const resolve = (s: Schema): Schema => {
    if (!s.$ref) return s;
    const target = (s.$ref as string).replace(/^#\//, '').split('/').reduce((node: any, key) => node?.[key], spec);
    if (!target) throw new Error(`unresolvable $ref ${s.$ref}`);
    return resolve(target);
  };
  // A discriminator's mapped schema refers back to its base: each schema applies once per value.
  const applied = new Set<Schema>();
  const check = (raw: Schema): string[] => {
    const s = resolve(raw);
    if (applied.has(s)) return [];
    applied.add(s);
    const problems: string[] = [];
    for (const part of s.allOf ?? []) problems.push(...check(part));
    if (s.type && typeProblem(s.type, value)) return [...problems, `${path}: must be ${s.type}, is ${JSON.stringify(value)}`];
    if (s.enum && !s.enum.includes(value)) problems.push(`${path}: must be one of ${s.enum.join(', ')}`);
    if (typeof value === 'string') {
      if (s.minLength !== undefined && value.length < s.minLength) problems.push(`${path}: shorter than ${s.minLength}`);
      if (s.maxLength !== undefined && value.length > s.maxLength) problems.push(`${path}: longer than ${s.maxLength}`);
      if (s.format === 'date-time' && !INFOBIP_TIME.test(value)) problems.push(`${path}: not an Infobip date-time: ${value}`);
    }
    if (Array.isArray(value) && s.items) value.forEach((item, i) => problems.push(...schemaProblems(spec, s.items, item, `${path}[${i}]`)));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const object = value as Record<string, unknown>;
      for (const name of s.required ?? []) if (object[name] === undefined) problems.push(`${path}.${name}: required`);
      for (const [name, child] of Object.entries(s.properties ?? {})) {
        if (object[name] !== undefined) problems.push(...schemaProblems(spec, child as Schema, object[name], `${path}.${name}`));
      }
      const discriminator = s.discriminator;
      const mapped = discriminator?.mapping?.[object[discriminator.propertyName] as string];
      if (mapped) problems.push(...check({ $ref: mapped }));
    }
    return problems;
  };
  return check(schema);
}
