import { expect, test, type Browser, type Page } from '@playwright/test';
import { RegisterPage, SignInPage, TeamPage, verifyByLink, waitForHydration } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';
import { linkIn, waitForMail } from '../support/mailbox';

// SPEC §9: a second account, inviting a user of the first into it, the
// "Switch Account" menu, each account's home and Team page, and renaming.
// Rosalind registers herself (no account yet) and creates both accounts, so
// this spec never touches the Default account or /setup (foundation.spec
// needs a fresh server there).

const stamp = Date.now();
const password = 'quartz-meadow-falcon-3';
const one = `Labs ${stamp}`;
const acme = `Acme ${stamp}`;
const renamed = `Acme Works ${stamp}`;
const rosalind = { firstName: 'Rosalind', lastName: 'Franklin', email: `rosalind.${stamp}@example.com`, password };
const mary = { firstName: 'Mary', lastName: 'Jackson', email: `mary.${stamp}@example.com` };
const onlyInOne = { firstName: 'Octavia', lastName: 'Butler', email: `octavia.${stamp}@example.com` };

test.describe.configure({ mode: 'serial' });

/** The menu button at the top of the left nav. */
function switcher(page: Page) {
  return page.getByRole('button', { name: /Switch Account/ });
}

function accountMenu(page: Page) {
  return page.getByRole('menu');
}

function home(page: Page, name: string) {
  return page.getByRole('heading', { level: 1, name, exact: true });
}

/** Opens the menu and chooses the account `name`; ends on its home page. */
async function switchTo(page: Page, name: string) {
  await switcher(page).click();
  await expect(accountMenu(page)).toBeVisible();
  await accountMenu(page).getByRole('menuitemradio', { name: new RegExp(`^${name}`) }).click();
  await expect(home(page, name)).toBeVisible();
  await expect(switcher(page)).toContainText(name);
}

/** Rosalind registers, verifies, signs in (no account yet) and creates `one`. */
async function rosalindCreatesHerFirstAccount(page: Page) {
  const registration = new RegisterPage(page);
  await registration.open();
  await registration.register(rosalind);
  await verifyByLink(page, linkIn(await waitForMail(rosalind.email, 'Verify your email address'), '/verify-email/'));
  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(rosalind.email, password);
  await expect(page.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
  await waitForHydration(page);
  await expect(switcher(page)).toContainText('Muster');
  await switcher(page).click();
  await accountMenu(page).getByRole('menuitem', { name: 'New Account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New Account' })).toBeVisible();
  await page.getByLabel('Account Name').fill(one);
  await page.getByRole('button', { name: 'Create Account' }).click();
  await expect(home(page, one)).toBeVisible();
}

/** Mary joins the first account from her invitation, in her own browser. */
async function maryJoinsOne(browser: Browser): Promise<Page> {
  const link = linkIn(await waitForMail(mary.email, `You're invited to join ${one}`), '/invite/');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await waitForHydration(page);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await verifyByLink(page, linkIn(await waitForMail(mary.email, 'Verify your email address'), '/verify-email/'));
  await page.getByRole('link', { name: 'Sign In' }).click();
  await waitForHydration(page);
  await new SignInPage(page).signIn(mary.email, password);
  await expect(page).toHaveURL(/\/invitations$/);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(home(page, one)).toBeVisible();
  return page;
}

test('a second account: create, invite a user of the first, accept, switch back and forth, rename', async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  await rosalindCreatesHerFirstAccount(page);
  const team = new TeamPage(page);

  // Mary works in the first account; Octavia is invited there only.
  await team.open();
  await team.invite(mary);
  await team.invite(onlyInOne);
  const maryInOne = await maryJoinsOne(browser);
  await maryInOne.context().close();

  // The account name is a menu button; the keyboard opens and walks it.
  await page.goto('/');
  await waitForHydration(page);
  const button = switcher(page);
  await expect(button).toContainText(one);
  await expect(button).toHaveAttribute('aria-haspopup', 'menu');
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await button.focus();
  await page.keyboard.press('ArrowDown');
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  const menu = accountMenu(page);
  await expect(menu).toBeVisible();
  const current = menu.getByRole('menuitemradio', { name: new RegExp(`^${one}`) });
  await expect(current).toBeFocused();
  await expect(current).toHaveAttribute('aria-checked', 'true');
  const newAccount = menu.getByRole('menuitem', { name: 'New Account' });
  await expectAccessible(page, 'Switch Account menu open');
  // Down to the last item, wrapping round to the first, and back up.
  await page.keyboard.press('End');
  await expect(newAccount).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(current).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(newAccount).toBeFocused();
  // Escape closes it and gives the focus back to the button.
  await page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(button).toBeFocused();
  // Up Arrow opens it on its last item: New Account.
  await page.keyboard.press('ArrowUp');
  await expect(newAccount).toBeFocused();
  await page.keyboard.press('Enter');

  // New Account → Acme, which becomes current, with Rosalind its only member.
  await expect(page).toHaveURL(/\/accounts\/new$/);
  await expect(page.getByRole('heading', { level: 1, name: 'New Account' })).toBeVisible();
  await waitForHydration(page);
  await expectAccessible(page, 'New Account page');
  await page.getByLabel('Account Name').fill(acme);
  await page.getByRole('button', { name: 'Create Account' }).click();
  await expect(home(page, acme)).toBeVisible();
  await expect(switcher(page)).toContainText(acme);
  await team.open();
  await expect(page.getByRole('row')).toHaveCount(2);
  await expect(team.row(rosalind.email)).toBeVisible();
  await expect(team.row(onlyInOne.email)).toHaveCount(0);

  // Rosalind invites Mary, already a user, into Acme.
  await team.invite(mary);
  await expect(page.getByRole('row')).toHaveCount(3);

  // Mary follows the link: she is told to sign in, not to register again.
  const link = linkIn(await waitForMail(mary.email, `You're invited to join ${acme}`), '/invite/');
  const context = await browser.newContext();
  const theirs = await context.newPage();
  await theirs.goto(link);
  await expect(theirs.getByRole('heading', { name: `You have been invited to join ${acme}` })).toBeVisible();
  await expect(theirs.getByText('You already have an account.')).toBeVisible();
  await expect(theirs.getByRole('button', { name: 'Register' })).toHaveCount(0);
  await expectAccessible(theirs, 'invitation for an existing user');
  await theirs.getByRole('link', { name: 'Sign In' }).click();
  await waitForHydration(theirs);
  await new SignInPage(theirs).signIn(mary.email, password);
  await expect(theirs).toHaveURL(/\/invitations$/);
  await expect(theirs.getByText(`You have been invited to join ${acme}`)).toBeVisible();
  await waitForHydration(theirs);
  await theirs.getByRole('button', { name: 'Accept', exact: true }).click();
  // She lands in Acme, as its current account.
  await expect(home(theirs, acme)).toBeVisible();
  await expect(switcher(theirs)).toContainText(acme);
  await expect(theirs.getByRole('navigation', { name: 'Administration' })).toHaveCount(0);

  // Mary switches to the first account and back: each home is its own.
  await switcher(theirs).click();
  await expect(accountMenu(theirs).getByRole('menuitemradio')).toHaveCount(2);
  await expect(accountMenu(theirs).getByRole('menuitemradio', { name: new RegExp(`^${acme}`) })).toHaveAttribute(
    'aria-checked',
    'true',
  );
  await switcher(theirs).click();
  await expect(accountMenu(theirs)).toBeHidden();
  await switchTo(theirs, one);
  await switchTo(theirs, acme);
  await context.close();

  // Rosalind sees Mary Active in Acme; the first account's Team page is its own.
  await team.open();
  await expect(team.row(mary.email).getByRole('cell').nth(3)).toHaveText('Active');
  await expect(page.getByRole('row')).toHaveCount(3);
  await page.goto('/');
  await waitForHydration(page);
  await switchTo(page, one);
  await team.open();
  await expect(team.row(onlyInOne.email)).toBeVisible();
  await expect(team.row(mary.email).getByRole('cell').nth(3)).toHaveText('Active');
  await page.goto('/');
  await waitForHydration(page);
  await switchTo(page, acme);
  await team.open();
  await expect(team.row(onlyInOne.email)).toHaveCount(0);

  // Rename Acme on /settings: the nav and the home page follow.
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await waitForHydration(page);
  const name = page.getByLabel('Account Name');
  await expect(name).toHaveValue(acme);
  await expectAccessible(page, 'Settings page');
  await name.fill(renamed);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('The account was renamed.');
  await expect(switcher(page)).toContainText(renamed);
  await page.getByRole('link', { name: 'Home', exact: true }).click();
  await expect(home(page, renamed)).toBeVisible();
  await page.goto('/audit-log');
  await expect(page.getByRole('cell', { name: `${acme} → ${renamed}` })).toBeVisible();

  // A new session starts in her first account again.
  const fresh = await browser.newContext();
  const again = await fresh.newPage();
  const signIn = new SignInPage(again);
  await signIn.open();
  await signIn.signIn(rosalind.email, password);
  await expect(home(again, one)).toBeVisible();
  await fresh.close();
});
