// Lets plain `node` run the TypeScript sources (benchmarks, the demo, the CLI in development)
// with the same swc settings as Jest. Use with `node --conditions=flotilla-source -r ./tools/register.js`
// so that workspace packages resolve to src/ rather than dist/.
const fs = require('node:fs');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/../.swcrc`, 'utf8'));
delete swcrc.$schema;

// Overrides Node's built-in type stripping, which cannot handle decorator metadata.
Module._extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...swcrc, swcrc: false, filename });
  module._compile(code, filename);
};
