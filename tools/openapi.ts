// Writes the OpenAPI document generated from @flotilla/api to libs/api/openapi.json, or with
// --check fails when the committed file differs from what the schemas generate (it is an
// output: an edit by hand would be lost, and a schema change not regenerated would mislead).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { buildOpenApiDocument } from '@flotilla/api';

const file = path.join(__dirname, '..', 'libs', 'api', 'openapi.json');
const relative = path.relative(process.cwd(), file);

async function main(): Promise<void> {
  const options = await prettier.resolveConfig(file);
  const generated = await prettier.format(JSON.stringify(buildOpenApiDocument()), { ...options, filepath: file });
  if (!process.argv.includes('--check')) {
    writeFileSync(file, generated);
    console.log(`openapi: wrote ${relative}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is as stale as an edited one.
  }
  if (committed !== generated) {
    console.error(
      `openapi: ${relative} is not what libs/api generates (edited by hand, or a schema or route changed ` +
        `without regenerating it). Run \`npm run openapi\` and commit the result.`,
    );
    process.exit(1);
  }
  console.log(`openapi: ${relative} matches libs/api`);
}

void main();
