// Draws the app's icons from build/icon.svg: the PNG sizes Linux desktops use (build/icons/NxN.png),
// the 1024 px PNG, the Windows .ico and the macOS .icns electron-builder packs. Run after changing
// the SVG: node scripts/make-icons.mjs (the outputs are committed; packaging does not redraw them).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import png2icons from 'png2icons';

const build = resolve(import.meta.dirname, '..', 'build');
const svg = readFileSync(join(build, 'icon.svg'));
const render = (size) => new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng();

export const linuxSizes = [16, 24, 32, 48, 64, 128, 256, 512];

mkdirSync(join(build, 'icons'), { recursive: true });
for (const size of linuxSizes) writeFileSync(join(build, 'icons', `${size}x${size}.png`), render(size));
const large = render(1024);
writeFileSync(join(build, 'icon.png'), large);
// BICUBIC resampling, ICO with PNG-compressed entries (Windows Vista and later).
const ico = png2icons.createICO(large, png2icons.BICUBIC, 0, true, true);
const icns = png2icons.createICNS(large, png2icons.BICUBIC, 0);
if (!ico || !icns) throw new Error('png2icons could not convert build/icon.png');
writeFileSync(join(build, 'icon.ico'), ico);
writeFileSync(join(build, 'icon.icns'), icns);
console.log(`icons written to ${build}`);
