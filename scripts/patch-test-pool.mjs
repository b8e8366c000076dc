// Run by `npm install` (postinstall): fixes a bug of @cloudflare/vitest-pool-workers that makes the
// integration suite slower with every request it sends.
//
// Its wrapper classes for the Worker entrypoint and each Durable Object class install a Proxy over
// the class prototype inside the constructor, so every construction (one per SELF.fetch, one per
// object instance) wraps the previous proxy again: after N requests each property lookup runs N
// nested `get` traps (cloudflare/workers-sdk#15092, fixed upstream by #15106 but not in a release
// on npm yet). A long test went from 40 to 10 sends a second within 400 sends. The fix installs the
// proxy at the first construction only, as upstream does.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'node_modules/@cloudflare/vitest-pool-workers/dist/worker/lib/cloudflare/test-internal.mjs');
const BUGGY = '\tfunction Class(...args) {\n\t\tClass.prototype = new Proxy(';
const FIXED = '\tlet proxied = false;\n\tfunction Class(...args) {\n\t\tif (!proxied) proxied = true, Class.prototype = new Proxy(';

if (!existsSync(file)) {
  // A production install (no dev dependencies): nothing to fix.
  process.exit(0);
}
const text = readFileSync(file, 'utf8');
if (text.includes(FIXED)) process.exit(0);
const at = text.indexOf(BUGGY);
if (at < 0 || text.indexOf(BUGGY, at + 1) >= 0) {
  // Another version: its wrapper is not the one this script knows; check it before trusting it.
  console.warn(`[patch-test-pool] ${path.relative(root, file)} has changed; the prototype-proxy fix was not applied`);
  process.exit(0);
}
writeFileSync(file, text.replace(BUGGY, FIXED));
console.log('[patch-test-pool] vitest-pool-workers: wrapper prototype proxy installed once (workers-sdk#15092)');
