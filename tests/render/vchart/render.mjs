// Draws VChart specs headless, once with every VChart version this folder pins, into PNG files.
//
// Reads one JSON object on stdin:
//   {"out": dir, "font": {"path", "family"}, "dpr": 2,
//    "jobs": [{"name", "spec", "width", "height"}]}
// writes <out>/<name>.<alias>.png for each job and each "vchart-*" alias in package.json, and
// prints {"node", "canvas", "font", "versions", "results": [...]} on stdout, one result a job and
// version: ok, error, logged (what VChart wrote to the console), png, and data_pixels, the pixels
// of the PNG whose colour is one of the series colours (the theme's first colour scheme and the spec's own
// `color`): bars and their labels, never axes, grid lines or titles, which VChart draws in greys;
// and colours, those pixels by series colour ("#1664ff": n), to tell the series apart.
// VChart's node mode (options mode, modeParams, dpr): https://www.visactor.io/vchart/api/API/vchart
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const canvas = require('@napi-rs/canvas');
const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const ALIASES = Object.keys(manifest.dependencies).filter((name) => name.startsWith('vchart-')).sort();
const NEAR = 24; // a channel may differ this much from a series colour (anti-aliased edges do not count)
const SATURATED = 64; // palette greys (max - min channel below this) are not series colours

function rgb(colour) {
  const hex = /^#([0-9a-f]{6})$/i.exec(String(colour).trim());
  if (!hex) return null;
  const n = parseInt(hex[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function seriesColours(VChart, spec) {
  // The theme's first scheme: ten colours for up to ten series. Its second, for more series, adds
  // pale tints that anti-aliased bar edges would match.
  const scheme = VChart.ThemeManager.getCurrentTheme().colorScheme?.default;
  const first = Array.isArray(scheme) ? scheme : scheme?.dataScheme?.[0]?.scheme ?? [];
  const own = Array.isArray(spec.color) ? spec.color : spec.color?.range ?? [];
  const colours = [...new Set([...first, ...own].map((c) => String(c).toLowerCase()))];
  return colours.map((hex) => [hex, rgb(hex)]).filter(([, c]) => c && Math.max(...c) - Math.min(...c) >= SATURATED);
}

async function dataPixels(png, colours) {
  const image = await canvas.loadImage(png);
  const board = canvas.createCanvas(image.width, image.height);
  const context = board.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  let count = 0;
  const counts = new Array(colours.length).fill(0);
  for (let i = 0; i < data.length; i += 4) {
    const spread = Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]);
    if (data[i + 3] < 200 || spread < SATURATED - 2 * NEAR) continue; // white, greys: never near a series colour
    for (let k = 0; k < colours.length; k += 1) {
      const [r, g, b] = colours[k][1];
      if (Math.abs(data[i] - r) <= NEAR && Math.abs(data[i + 1] - g) <= NEAR && Math.abs(data[i + 2] - b) <= NEAR) {
        count += 1;
        counts[k] += 1;
        break;
      }
    }
  }
  const drawn = Object.fromEntries(colours.map(([hex], k) => [hex, counts[k]]).filter(([, n]) => n > 0));
  return { count, colours: drawn, width: image.width, height: image.height };
}

function listening(logged) {
  // VChart reports bad specs on the console rather than by throwing: keep what it says.
  const saved = { error: console.error, warn: console.warn };
  console.error = (...args) => logged.push(`error: ${args.map(String).join(' ')}`);
  console.warn = (...args) => logged.push(`warn: ${args.map(String).join(' ')}`);
  return () => Object.assign(console, saved);
}

async function draw(VChart, alias, job, request) {
  const logged = [];
  const png = join(request.out, `${job.name}.${alias}.png`);
  const result = { name: job.name, vchart: alias, ok: false,
                   error: null, logged, png, data_pixels: 0, colours: {}, width: 0, height: 0 };
  const restore = listening(logged);
  let chart = null;
  try {
    const spec = { ...structuredClone(job.spec), width: job.width, height: job.height };
    chart = new VChart(spec, {
      mode: 'node', modeParams: canvas, dpr: request.dpr ?? 2, animation: false,
      theme: { fontFamily: request.font.family },
      onError: (...args) => logged.push(`onError: ${args.map(String).join(' ')}`),
    });
    chart.renderSync();
    const buffer = chart.getImageBuffer();
    writeFileSync(png, buffer);
    const counted = await dataPixels(buffer, seriesColours(VChart, job.spec));
    Object.assign(result, { ok: true, data_pixels: counted.count, colours: counted.colours,
                            width: counted.width, height: counted.height });
  } catch (error) {
    result.error = String(error?.stack ?? error);
  } finally {
    restore();
    try { chart?.release(); } catch { /* a chart that failed half-way may not release */ }
  }
  return result;
}

async function main() {
  const request = JSON.parse(readFileSync(0, 'utf8'));
  mkdirSync(request.out, { recursive: true });
  canvas.GlobalFonts.registerFromPath(request.font.path, request.font.family);
  if (!canvas.GlobalFonts.has(request.font.family)) {
    throw new Error(`the font ${request.font.path} did not register as ${request.font.family}`);
  }
  const versions = {};
  const results = [];
  for (const alias of ALIASES) {
    const VChart = require(alias).default;
    versions[alias] = require(`${alias}/package.json`).version;
    for (const job of request.jobs) results.push(await draw(VChart, alias, job, request));
  }
  const canvasVersion = require('@napi-rs/canvas/package.json').version;
  process.stdout.write(JSON.stringify({ node: process.version, canvas: canvasVersion, font: request.font.family,
                                        versions, results }));
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
