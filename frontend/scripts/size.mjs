// Gzip size of what each page loads (JS + CSS), from Vite's build manifest.
// Usage: node scripts/size.mjs [--json]   (after `npm run build`; dist/.vite/manifest.json)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));

function collect(keys) {
  const files = new Set();
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`not in manifest: ${key}`);
    if (/\.(js|css)$/.test(chunk.file)) files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const dep of chunk.imports ?? []) visit(dep);
  };
  keys.forEach(visit);
  return [...files];
}

function measure(files) {
  let js = 0;
  let css = 0;
  for (const file of files) {
    const gz = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
    if (file.endsWith('.css')) css += gz;
    else js += gz;
  }
  return { js_gzip_bytes: js, css_gzip_bytes: css, total_gzip_bytes: js + css, files: files.length };
}

const pages = {
  customer_submit: ['index.html', 'src/pages/submit.ts'],
  customer_track: ['index.html', 'src/pages/track.ts'],
  customer_all: ['index.html', 'src/pages/submit.ts', 'src/pages/track.ts'],
  staff: ['index.html', 'src/pages/staff.ts'],
  app_all: ['index.html', 'src/pages/submit.ts', 'src/pages/track.ts', 'src/pages/staff.ts'],
  console: ['console.html'],
};
const result = Object.fromEntries(Object.entries(pages).map(([name, keys]) => [name, measure(collect(keys))]));

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  for (const [name, r] of Object.entries(result)) {
    console.log(`${name.padEnd(16)} JS ${kb(r.js_gzip_bytes).padStart(9)}  CSS ${kb(r.css_gzip_bytes).padStart(9)}  total ${kb(r.total_gzip_bytes).padStart(9)} gzip (${r.files} files)`);
  }
}
