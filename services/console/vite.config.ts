import { defineConfig } from 'vite';

// Preact through the JSX automatic runtime (tsconfig's jsxImportSource): no Babel plugin needed.
// Relative asset paths, so the hub can serve dist/ from any prefix.
export default defineConfig({
  base: './',
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/api': process.env.FLOTILLA_HUB_URL ?? 'http://127.0.0.1:8080' } },
});
