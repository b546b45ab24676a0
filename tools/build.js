// Compiles every workspace package's src/ to dist/ with swc (type-checking is `npm run
// typecheck`). Specs are left out of dist.
const fs = require('node:fs');
const path = require('node:path');
const { transformFileSync } = require('@swc/core');

const root = path.join(__dirname, '..');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
swcrc.sourceMaps = true;

function* tsFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
      yield full;
  }
}

let count = 0;
for (const group of ['libs', 'services']) {
  for (const name of fs.readdirSync(path.join(root, group))) {
    const src = path.join(root, group, name, 'src');
    if (!fs.existsSync(src)) continue;
    // The web console is bundled for the browser by Vite (below), not compiled file by file.
    if (fs.existsSync(path.join(root, group, name, 'vite.config.ts'))) continue;
    const dist = path.join(root, group, name, 'dist');
    fs.rmSync(dist, { recursive: true, force: true });
    for (const file of tsFiles(src)) {
      const out = path.join(dist, path.relative(src, file)).replace(/\.ts$/, '.js');
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const { code, map } = transformFileSync(file, {
        ...swcrc,
        swcrc: false,
        sourceFileName: path.relative(path.dirname(out), file),
      });
      fs.writeFileSync(out, map ? `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n` : code);
      if (map) fs.writeFileSync(`${out}.map`, map);
      count++;
    }
  }
}
console.log(`built ${count} files`);
require('node:child_process').execFileSync('npm', ['run', 'build', '--silent', '-w', '@flotilla/console'], {
  cwd: root,
  stdio: 'inherit',
});
