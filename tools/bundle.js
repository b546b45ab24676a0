// Bundles the hub and the agent into one JavaScript file each (esbuild), the contents of their
// container images: no node_modules, no sources, no dev dependencies.
//   node tools/bundle.js [outDir]      (default .flotilla/bundle; one directory per service)
// esbuild cannot emit decorator metadata, which Nest's dependency injection reads, so the
// workspace is compiled with swc first (tools/build.js) and esbuild bundles that output.
const { execFileSync, spawnSync } = require('node:child_process');
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, '.flotilla/bundle'));

// Optional peers that Nest, TypeORM, pg and ws `require` only when configured; none are used.
const optionalPeers = [
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@fastify/static',
  '@fastify/view',
  'class-transformer',
  'class-transformer/*',
  'class-validator',
  'pg-native',
  'bufferutil',
  'utf-8-validate',
  // TypeORM's other drivers and tooling.
  '@google-cloud/spanner',
  '@sap/hana-client',
  '@sap/hana-client/*',
  'better-sqlite3',
  'hdb-pool',
  'ioredis',
  'mongodb',
  'mssql',
  'mysql',
  'mysql2',
  'oracledb',
  'pg-query-stream',
  'react-native-sqlite-storage',
  'redis',
  'sql.js',
  'sqlite3',
  'typeorm-aurora-data-api-driver',
  '@opentelemetry/exporter-jaeger',
  '@opentelemetry/winston-transport',
  'kerberos',
  'snappy',
  '@mongodb-js/zstd',
  'mongodb-client-encryption',
  'gcp-metadata',
  'socks',
  'aws4',
];

const services = {
  hub: 'services/hub/dist/main.js',
  agent: 'services/agent/dist/main.js',
};

function installed(specifier) {
  try {
    require.resolve(specifier.replace(/\/\*$/, ''), { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

async function main() {
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  for (const [name, entry] of Object.entries(services)) {
    const dir = path.join(outDir, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const result = await esbuild.build({
      entryPoints: [path.join(root, entry)],
      outfile: path.join(dir, 'main.js'),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      // Nest resolves providers by class name in messages; keep names readable in stack traces.
      keepNames: true,
      minifySyntax: true,
      legalComments: 'none',
      // Only those not installed: an installed one is bundled (its requirer may load it eagerly).
      external: optionalPeers.filter((m) => !installed(m)),
      metafile: true,
      logLevel: 'warning',
    });
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      `${JSON.stringify({ name: `flotilla-${name}`, version, private: true }, null, 2)}\n`,
    );
    smokeTest(name, dir);
    const bytes = fs.statSync(path.join(dir, 'main.js')).size;
    process.stderr.write(
      `[bundle] ${name}: ${path.relative(root, dir)}/main.js ${(bytes / 1e6).toFixed(1)} MB (${Object.keys(result.metafile.inputs).length} modules)\n`,
    );
  }
}

/**
 * Loads the bundle outside the checkout, where no node_modules can fill in for a module the
 * bundle lacks (an optional peer wrongly left external fails here, not in a container).
 */
function smokeTest(name, dir) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `flotilla-bundle-${name}-`));
  try {
    fs.copyFileSync(path.join(dir, 'main.js'), path.join(tmp, 'main.js'));
    const args = name === 'hub' ? ['nats', 'init', '--help'] : [];
    const result = spawnSync(process.execPath, [path.join(tmp, 'main.js'), ...args], {
      cwd: tmp,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    const output = `${result.stdout}${result.stderr}`;
    if (/Cannot find module|ERR_MODULE_NOT_FOUND/.test(output) || !/flotilla-(hub nats init|agent:)/.test(output))
      throw new Error(`the ${name} bundle does not start on its own:\n${output.slice(-2000)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
