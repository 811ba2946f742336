import { expect, test, type Browser, type Page } from '@playwright/test';
import path from 'node:path';
import {
  SignInPage,
  signInAsAdmin,
  TeamPage,
  verifyByLink,
  waitForHydration,
} from '../fixtures/pages';
import { linkIn, waitForMail } from '../support/mailbox';

// The README's screenshots (docs/screenshots/*.png): the Team page with a
// few members, the Invite User modal, and the Profile page. A failure here
// means the README would show something the app no longer does.

// `make test` sets SCREENSHOT_DIR to a scratch folder: it checks that the
// pictures can still be taken without touching the committed ones.
const folder = process.env.SCREENSHOT_DIR ?? path.join(__dirname, '..', '..', 'docs', 'screenshots');
const out = (name: string) => path.join(folder, `${name}.png`);

const joined = { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', password: 'cobol-harbour-lantern-59' };
const invited = [
  { firstName: 'Alan', lastName: 'Turing', email: 'alan@example.com' },
  { firstName: 'Katherine', lastName: 'Johnson', email: 'katherine@example.com' },
];

/** `who` registers from the invitation, verifies, signs in and accepts. */
async function joins(browser: Browser, who: typeof joined) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(linkIn(await waitForMail(who.email, "You're invited to join Default"), '/invite/'));
  await waitForHydration(page);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await verifyByLink(page, linkIn(await waitForMail(who.email, 'Verify your email address'), '/verify-email/'));
  await new SignInPage(page).open();
  await new SignInPage(page).signIn(who.email, who.password);
  await page.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await context.close();
}

/** A full-page picture with animations stopped and the caret hidden. */
async function picture(page: Page, name: string) {
  await page.screenshot({ path: out(name), fullPage: true, animations: 'disabled', caret: 'hide' });
}

test('README screenshots: Team page, Invite User modal, Profile', async ({ page, browser }) => {
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await team.invite(joined);
  await joins(browser, joined);
  for (const person of invited) await team.invite(person);

  await team.open();
  await expect(team.row(joined.email)).toContainText('Active');
  await picture(page, 'team');

  await page.getByRole('button', { name: 'Invite User', exact: true }).click();
  const dialog = team.inviteDialog();
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('First Name').fill('Barbara');
  await dialog.getByLabel('Last Name').fill('Liskov');
  await dialog.getByLabel('Email Address').fill('barbara@example.com');
  await picture(page, 'invite-user');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await page.goto('/profile');
  await expect(page.getByRole('heading', { level: 1, name: 'Profile' })).toBeVisible();
  await waitForHydration(page);
  await picture(page, 'profile');
});
