// Accessibility checks shared by the a11y specs: axe-core on a screen, the
// reflow check (WCAG 1.4.10), and Tab walks that check focus on every stop.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

// Every rule axe-core has for WCAG 2.0-2.2 A/AA, its best practices and its
// experimental rules (label-content-name-mismatch is one: the rule behind
// voice control).
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice', 'experimental'];

/** axe-core's serious and critical findings on the page as it is now, one line each. */
export async function axeProblems(page: Page, screen: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  // A run that checked nothing (axe not injected, a blank page) is a
  // failure, not a pass.
  if (results.passes.length === 0) return [`${screen}: axe-core ran no rule that passed`];
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ');
      return `${screen}: ${v.id} (${v.impact}, ${v.nodes.length} nodes) at ${where}`;
    });
}

/**
 * What breaks reflow: the page scrolling sideways, an element reaching
 * past the viewport's edges, or content cut off by its own box. A table
 * may scroll inside its `.table-scroll` box (WCAG 1.4.10 allows that for
 * data tables); nothing else may.
 *
 * A text field is not "cut off" by a value longer than its box: a
 * single-line input scrolls its own text under the caret, in every
 * browser, and the whole value stays reachable by keyboard and pointer.
 * That is the control's editing behaviour, not the layout losing content
 * (what 1.4.10 is about); the field itself must still fit the screen,
 * which the edge check holds. Chromium reports such a field as clipping,
 * so the check would otherwise fail on any long title typed on a phone.
 */
export async function reflowProblems(page: Page, screen: string): Promise<string[]> {
  const found = await page.evaluate(() => {
    const problems: string[] = [];
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''}`;
    const root = document.documentElement;
    const width = root.clientWidth;
    if (root.scrollWidth > width + 1) problems.push(`the page scrolls sideways (${root.scrollWidth} > ${width} px)`);
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      if (el.closest('.table-scroll, .visually-hidden, script, style, template')) continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.right > width + 1 || box.left < -1) {
        problems.push(`${name(el)} reaches past the edge (${Math.round(box.left)}..${Math.round(box.right)} of ${width} px)`);
      }
      const style = getComputedStyle(el);
      const clips = ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflowY);
      // Text fields scroll their own value (see above).
      const field = el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement;
      if (!field && clips && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
        problems.push(`${name(el)} cuts off its content`);
      }
    }
    return problems.slice(0, 5);
  });
  return found.map((p) => `${screen} at ${page.viewportSize()?.width} px: ${p}`);
}

/**
 * Checks the screen: axe-core at the first width (the device's own), and
 * reflow at every width (the same device zoomed in). Problems are
 * collected, not thrown, so that one run lists every screen's.
 */
export function screenChecker(page: Page, widths: number[]) {
  const problems: string[] = [];
  let screens = 0;
  const check = async (screen: string) => {
    screens += 1;
    const height = page.viewportSize()?.height ?? 800;
    for (const width of widths) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (width === widths[0]) problems.push(...(await axeProblems(page, screen)));
      problems.push(...(await reflowProblems(page, screen)));
      // `A11Y_SHOTS=dir`: a picture of every screen at every width, to
      // look at with real glyphs (wrapping, crowding) where no rule can.
      if (process.env.A11Y_SHOTS) {
        const file = `${screen}-${width}`.replace(/[^\w.-]+/g, '_');
        await page.screenshot({ path: `${process.env.A11Y_SHOTS}/${file}.png`, fullPage: true });
      }
    }
    await page.setViewportSize({ width: widths[0], height });
  };
  const done = (atLeast: number) => {
    expect(screens, 'screens checked').toBeGreaterThanOrEqual(atLeast);
    expect(problems, 'accessibility problems').toEqual([]);
  };
  return { check, done };
}

/** What has keyboard focus now, and whether that focus can be seen. */
async function focusState(page: Page, target?: Locator) {
  const handle = target ? await target.elementHandle() : null;
  return page.evaluate((t) => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return { onPage: false, hit: false, visible: true, what: 'body' };
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow !== 'none';
    // A stable name for this element, even where two look the same.
    const mark = el as HTMLElement;
    const w = window as unknown as { tabStops?: number };
    mark.dataset.tabStop ??= String((w.tabStops = (w.tabStops ?? 0) + 1));
    const what = `#${mark.dataset.tabStop} ${el.outerHTML.slice(0, 100)}`;
    return { onPage: true, hit: el === t, visible: outline || ring, what };
  }, handle);
}

/**
 * Presses Tab until `target` has focus (at most `max` times). Every stop on
 * the way must show its focus, and focus must move on each press: a trap
 * fails here.
 */
export async function tabTo(page: Page, target: Locator, max = 60) {
  await expect(target).toBeVisible();
  let previous = '';
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focusState(page, target);
    expect(now.visible, `focus is visible on ${now.what}`).toBe(true);
    if (now.hit) return;
    if (now.onPage) expect(now.what, 'focus moved on Tab').not.toBe(previous);
    previous = now.what;
  }
  throw new Error(`Tab did not reach ${target} in ${max} presses`);
}

/**
 * Tabs once around the whole page: focus must visit every visible control,
 * show on each, and not circle among a few (a trap).
 */
export async function tabThroughPage(page: Page, max = 120) {
  // The controls a round of Tab must visit, read after the round (the page
  // is the same before and after: nothing here changes it).
  const controls = () =>
    page.evaluate(() => {
      const all = Array.from(document.querySelectorAll<HTMLElement>('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]'));
      return all
        .filter((el) => {
          if (el.tabIndex < 0 || (el as HTMLButtonElement).disabled) return false;
          const box = el.getBoundingClientRect();
          if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') return false;
          // A radio group is one stop.
          if (el instanceof HTMLInputElement && el.type === 'radio') {
            const group = Array.from(document.querySelectorAll<HTMLInputElement>(`input[type=radio][name="${el.name}"]`));
            const checked = group.find((r) => r.checked);
            return checked ? el === checked : el === group[0];
          }
          return true;
        })
        .map((el) => el.outerHTML.slice(0, 80));
    });
  // Round and round: Chromium may pass through the page itself (body) or
  // wrap straight to the first control. Either way, by the time a control
  // comes round again, every control must have had its turn; focus that
  // circles among a few is a trap.
  const seen = new Set<string>();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focusState(page);
    if (!now.onPage) continue;
    expect(now.visible, `focus is visible on ${now.what}`).toBe(true);
    if (seen.has(now.what)) {
      const expected = await controls();
      expect(seen.size, `every control is reached by Tab: ${expected.join(' ; ')} but ${[...seen].join(' ; ')}`).toBe(expected.length);
      return;
    }
    seen.add(now.what);
  }
  throw new Error(`focus did not go round the page in ${max} presses (${seen.size} stops)`);
}
