// Before any browser test: the machine must have a Japanese font, or
// Chromium draws every Japanese character as a blank box of its own width
// and the layout checks (reflow, overflow, focus rings) measure nothing a
// dealer sees. `make browser` installs Debian's fonts-noto-cjk.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  let fonts = '';
  try {
    fonts = execFileSync('fc-list', [':lang=ja', 'family'], { encoding: 'utf8' });
  } catch {
    // fc-list missing: no fontconfig, so no font either.
  }
  if (!fonts.trim()) {
    throw new Error('No Japanese font is installed: run `make browser` (Debian: fonts-noto-cjk).');
  }
}
