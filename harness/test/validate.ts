import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { validateXML } from 'xmllint-wasm';
import { packageRoot } from '../src/package-root.js';

const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'docs', 'report-schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const validateJson = ajv.compile(schema);

/** Errors of a JSON report against docs/report-schema.json; empty when valid. */
export function reportSchemaErrors(report: unknown): string[] {
  if (validateJson(report)) return [];
  return (validateJson.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const xsd = readFileSync(path.join(packageRoot(), 'docs', 'junit.xsd'), 'utf8');

/** Errors of a JUnit XML report against docs/junit.xsd (libxml2's validator); empty when valid. */
export async function junitSchemaErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: { fileName: 'report.xml', contents: xml }, schema: { fileName: 'junit.xsd', contents: xsd } });
  return result.valid ? [] : result.errors.map((e) => e.message);
}
