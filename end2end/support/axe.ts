// An accessibility scan by axe-core (WCAG 2.0–2.2, levels A and AA) of the
// page as it is now, dialogs included. The test fails on any violation of
// impact "serious" or "critical", listing each rule and the elements it
// found; minor and moderate findings are printed but do not fail.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export async function expectAccessible(page: Page, what: string): Promise<void> {
  await test.step(`accessible (axe-core, WCAG 2.2 AA): ${what}`, async () => {
    const results = await new AxeBuilder({ page }).withTags(tags).analyze();
    const describe = (impact: string) =>
      results.violations
        .filter((violation) => violation.impact === impact)
        .map(
          (violation) =>
            `${violation.impact} ${violation.id}: ${violation.help}\n` +
            violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary}`).join('\n'),
        );
    const lesser = [...describe('minor'), ...describe('moderate')];
    if (lesser.length > 0) console.log(`axe (${what}), not failing:\n${lesser.join('\n')}`);
    const failing = [...describe('critical'), ...describe('serious')];
    expect(failing, `axe-core found serious or critical violations on ${what}`).toEqual([]);
  });
}
