import { expect, test, type Locator, type Page } from '@playwright/test';
import { firstAdmin as admin, signInAsAdmin, TeamPage } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';
import { messages, waitForMail } from '../support/mailbox';

// SPEC §8 / issue 15: "Import CSV" → the "Import Users" dialog, a "CSV File"
// read in the browser, "Import", progress while the rows are sent, then a
// summary and a result table with one row per line of the file.

const stamp = Date.now();
const grace = `grace.${stamp}@example.com`;
const barbara = `barbara.${stamp}@example.com`;
const invited = "You're invited to join Default";

test.describe.configure({ mode: 'serial' });

function importDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Import Users' });
}

async function choose(dialog: Locator, name: string, text: string | Buffer) {
  const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  await dialog.getByLabel('CSV File').setInputFiles({ name, mimeType: 'text/csv', buffer });
}

/** The cells of the result row of `line`. */
function resultRow(dialog: Locator, line: number): Locator {
  return dialog
    .getByRole('row')
    .filter({ has: dialog.page().getByRole('cell', { name: String(line), exact: true }) });
}

test('a file refused as a whole says why; the dialog works from the keyboard', async ({ page }) => {
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  const opener = page.getByRole('button', { name: 'Import CSV', exact: true });
  await expect(opener).toHaveAttribute('aria-haspopup', 'dialog');
  // Beside "Invite User".
  await expect(page.locator('.page-actions').getByRole('button')).toHaveText(['Import CSV', 'Invite User']);

  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = importDialog(page);
  await expect(dialog).toBeVisible();
  const field = dialog.getByLabel('CSV File');
  await expect(field).toBeFocused();
  await expect(field).toHaveAttribute('type', 'file');

  const error = dialog.locator('#field-csv-file-error');
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(error).toHaveText('Choose a CSV file.');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'Import Users dialog with an error');

  const header = 'first_name,last_name,email\n';
  for (const [file, message] of [
    [
      'Grace,Hopper,grace@example.com\n',
      'The header row has an unknown column "Grace". The first row must be the header first_name,last_name,email (and optionally role).',
    ],
    ['first_name,email\nGrace,grace@example.com\n', 'The header row has no last_name column.'],
    [header, 'The file has a header row but no rows to import.'],
    [
      header + Array.from({ length: 1001 }, (_, n) => `A,B,r${n}@example.com\n`).join(''),
      'The file has more than 1,000 rows. Split it into files of at most 1,000 rows.',
    ],
  ] as const) {
    await choose(dialog, 'team.csv', file);
    await expect(error).toHaveText('');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(error).toContainText(message);
    await expect(field).toBeFocused();
  }
  // Not UTF-8 (Latin-1 "é"), and larger than 1 MiB (refused before it is read).
  const latin1 = Buffer.concat([Buffer.from(`${header}Ren`), Buffer.from([0xe9]), Buffer.from(',B,r@example.com\n')]);
  await choose(dialog, 'latin1.csv', latin1);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(error).toHaveText('The file is not UTF-8 text. Save it as "CSV UTF-8" and try again.');
  await choose(dialog, 'big.csv', header + 'x'.repeat(1024 * 1024));
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(error).toHaveText('The file is larger than 1 MiB. Split it into smaller files.');
  await expect(dialog.getByRole('table')).toHaveCount(0);

  // Tab stays inside; Escape closes and gives the focus back.
  for (let n = 0; n < 4; n++) await page.keyboard.press('Tab');
  const focusedInside = await dialog.evaluate((node) => node.contains(document.activeElement));
  expect(focusedInside).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
});

test('a 1,000-row file is imported with progress, a summary and one result per line', async ({ page }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await page.getByRole('button', { name: 'Import CSV', exact: true }).click();
  const dialog = importDialog(page);
  await expect(dialog).toBeVisible();

  // A spreadsheet's export: BOM, CRLF, any column order, quoted commas,
  // a role in capitals, a member, a bad address, a short row, and the same
  // address again and again (already invited: each of those rows goes to
  // the server, and none of them counts against the hourly limit).
  const lines = [
    'email,first_name,last_name,role',
    `${grace},"Grace, Rear Admiral",Hopper,`,
    `${barbara},Barbara,Liskov,Admin`,
    `${admin.email.toUpperCase()},Ada,Lovelace,`,
    'not-an-email,Bad,Address,',
    'short@example.com,Short',
  ];
  while (lines.length < 1001) lines.push(`${grace},Grace,Again,user`);
  const file = `\ufeff${lines.join('\r\n')}\r\n`;
  await choose(dialog, 'team.csv', file);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();

  // Pending: the button is busy and a progress bar counts the rows.
  await expect(dialog.getByRole('button', { name: 'Import', exact: true })).toBeDisabled();
  const progress = dialog.getByRole('progressbar');
  await expect(progress).toBeVisible();
  await expect(dialog.getByText(/^Importing: \d+ of 1000 rows$/)).toBeVisible();
  await expectAccessible(page, 'Import Users dialog while importing');

  const summary = dialog.locator('#import-summary');
  await expect(summary).toHaveText('2 invited, 996 skipped, 2 failed', { timeout: 60_000 });
  await expect(summary).toBeFocused();
  await expect(progress).toHaveCount(0);
  await expect(dialog.getByRole('status')).toHaveText('2 invited, 996 skipped, 2 failed');

  const table = dialog.getByRole('table', { name: 'Import results, one row per line of the file' });
  await expect(table).toBeVisible();
  await expect(table.getByRole('columnheader')).toHaveText(['Line', 'Email', 'Outcome']);
  await expect(table.getByRole('row')).toHaveCount(1001);
  await expect(resultRow(table, 2).getByRole('cell')).toHaveText(['2', grace, 'Invited']);
  await expect(resultRow(table, 3).getByRole('cell')).toHaveText(['3', barbara, 'Invited']);
  await expect(resultRow(table, 4).getByRole('cell')).toHaveText(['4', admin.email.toUpperCase(), 'Already a member']);
  await expect(resultRow(table, 5).getByRole('cell')).toHaveText([
    '5',
    'not-an-email',
    'Enter an email address like name@example.com.',
  ]);
  await expect(resultRow(table, 6).getByRole('cell')).toHaveText([
    '6',
    'short@example.com',
    'This row has 2 cells; the header has 4.',
  ]);
  await expect(resultRow(table, 1001).getByRole('cell')).toHaveText(['1001', grace, 'Already invited']);
  await expectAccessible(page, 'Import Users dialog with the results');

  // Close: the Team page shows the new Invited rows, with their roles.
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Import CSV', exact: true })).toBeFocused();
  await expect(team.row(grace)).toContainText('Grace, Rear Admiral Hopper');
  await expect(team.row(grace)).toContainText('Invited');
  await expect(team.row(barbara)).toContainText('Admin');

  // One mail each, however often the address was in the file.
  await waitForMail(grace, invited);
  await waitForMail(barbara, invited);
  await page.waitForTimeout(1500);
  const toGrace = (await messages()).filter((mail) => mail.to.includes(grace));
  expect(toGrace).toHaveLength(1);

  // Leave the team as it was for the specs after this one.
  await team.confirmAction(grace, 'Cancel Invite');
  await team.confirmAction(barbara, 'Cancel Invite');
  await expect(team.row(grace)).toHaveCount(0);
  await expect(team.row(barbara)).toHaveCount(0);
});
