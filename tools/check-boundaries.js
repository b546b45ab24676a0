// Enforces the dependency constraints between projects, by their Nx tags, on the project
// graph Nx computes from imports and package.json files. The @nx/eslint-plugin rule that
// usually does this stops at Nx 23, so this is the same rule in a few lines.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// For each tag, the tags a project carrying it may depend on.
const constraints = {
  'scope:hub': ['scope:hub', 'scope:shared'],
  'scope:agent': ['scope:agent', 'scope:shared'],
  'scope:cli': ['scope:cli', 'scope:shared'],
  // The web console is a client of the REST API like the CLI: @flotilla/api's types, never hub code.
  'scope:console': ['scope:console', 'scope:shared'],
  'scope:shared': ['scope:shared'],
  'scope:test': ['scope:hub', 'scope:agent', 'scope:cli', 'scope:shared', 'scope:test'],
  // The domain is pure: it may use contracts and other domain code, never an adapter.
  'type:domain': ['type:domain', 'type:contracts'],
  'type:contracts': ['type:contracts'],
};
// Test harnesses are imported by specs everywhere; Nx does not tell spec imports apart.
const alwaysAllowed = new Set(['type:testing']);

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-graph-')), 'graph.json');
execFileSync('npx', ['nx', 'graph', `--file=${file}`], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
});
const { nodes, dependencies } = JSON.parse(fs.readFileSync(file, 'utf8')).graph;
fs.rmSync(path.dirname(file), { recursive: true, force: true });

const violations = [];
for (const [source, deps] of Object.entries(dependencies)) {
  const sourceTags = nodes[source]?.data.tags ?? [];
  for (const { target } of deps) {
    const targetTags = nodes[target]?.data.tags;
    if (!targetTags || targetTags.some((tag) => alwaysAllowed.has(tag))) continue; // npm packages
    for (const tag of sourceTags) {
      const allowed = constraints[tag];
      if (allowed && !targetTags.some((t) => allowed.includes(t))) {
        violations.push(`${source} (${tag}) may not depend on ${target} (${targetTags.join(', ')})`);
      }
    }
  }
}
if (violations.length > 0) {
  console.error(`Project boundary violations:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(`boundaries: ${Object.keys(nodes).length} projects, no violations`);
