// Crash Stats' front-end build: every top-level file of an app's assets/ folder
// (webapp/<app>/assets/*.js and *.css) is an entry point, bundled with what it imports (the
// app's own modules, webapp/crashstats/assets/lib/, npm packages such as Chart.js) into
// dist/<app>/<name>-<hash>.<ext>. dist/manifest.json maps "<app>/<name>.<ext>" to the built
// file; Django's {% script %} and {% stylesheet %} tags read it, and WhiteNoise serves dist/
// with far-future caching (the hash changes whenever the content does).
//
//   node build.mjs            (what `make assets` runs; node_modules from `npm ci`)

import { readdirSync, rmSync, mkdirSync, writeFileSync, renameSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const webapp = path.dirname(here);
const dist = path.join(here, "dist");
const staging = path.join(here, "dist.new");

function entryPoints() {
  const entries = {};
  for (const app of readdirSync(webapp, { withFileTypes: true })) {
    const assets = path.join(webapp, app.name, "assets");
    if (!app.isDirectory() || !existsSync(assets)) continue;
    for (const file of readdirSync(assets, { withFileTypes: true })) {
      if (file.isFile() && /\.(js|css)$/.test(file.name)) {
        const key = `${app.name}/${file.name}`;
        entries[key] = path.join(assets, file.name);
      }
    }
  }
  return entries;
}

async function build() {
  const entries = entryPoints();
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const result = await esbuild.build({
    entryPoints: Object.values(entries),
    outbase: webapp,
    outdir: staging,
    // <app>/assets/<name>.js -> <app>/<name>-<hash>.js
    entryNames: "[dir]/[name]-[hash]",
    assetNames: "[dir]/[name]-[hash]",
    bundle: true,
    minify: true,
    sourcemap: "linked",
    format: "iife",
    target: ["es2020"],
    nodePaths: [path.join(here, "node_modules")],
    metafile: true,
    logLevel: "warning",
  });
  const manifest = {};
  const byEntry = Object.fromEntries(
    Object.entries(entries).map(([key, file]) => [path.relative(here, file), key]),
  );
  for (const [output, info] of Object.entries(result.metafile.outputs)) {
    const key = info.entryPoint && byEntry[info.entryPoint];
    if (key) {
      manifest[key] = path.relative(staging, path.resolve(here, output)).replace("/assets/", "/");
    }
  }
  // Drop the "assets/" level from every output path, as the manifest says.
  for (const app of readdirSync(staging)) {
    const nested = path.join(staging, app, "assets");
    if (!existsSync(nested)) continue;
    for (const file of readdirSync(nested)) renameSync(path.join(nested, file), path.join(staging, app, file));
    rmSync(nested, { recursive: true });
  }
  const missing = Object.keys(entries).filter((key) => !manifest[key]);
  if (missing.length) throw new Error(`no output for ${missing.join(", ")}`);
  writeFileSync(path.join(staging, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  rmSync(dist, { recursive: true, force: true });
  renameSync(staging, dist);
  console.log(`built ${Object.keys(manifest).length} assets into ${path.relative(process.cwd(), dist) || "."}`);
}

build().catch((error) => {
  console.error(`front-end build failed: ${error.message}`);
  process.exit(1);
});
