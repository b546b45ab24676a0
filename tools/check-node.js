// npm puts the pinned Node (devDependency "node") first on PATH inside npm scripts. If its
// preinstall did not run we would silently fall back to the system Node 20, on which the
// ESM-only dependencies fail in confusing ways: stop here with a clear message instead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `flotilla needs Node >= 24, but this is ${process.version} (${process.execPath}).\n` +
      'Run `npm install` (it fetches the pinned Node 24 into node_modules/.bin) and use `npm run`/`npx`.',
  );
  process.exit(1);
}
