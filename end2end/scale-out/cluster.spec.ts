import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { RegisterPage, SignInPage, signInAsAdmin, TeamPage, verifyByLink, waitForHydration } from '../fixtures/pages';
import { linkIn, messages, waitForMail } from '../support/mailbox';

// Run by scale-out.config.ts, after tests/team.spec.ts went through the same
// round-robin proxy: three server processes, one PostgreSQL database. Every
// response carries the proxy's `X-Upstream` header (0, 1 or 2), so each
// check below also proves which processes answered.

test.skip(
  !process.env.TEST_POSTGRES_URL,
  'TEST_POSTGRES_URL is unset: the scale-out run needs PostgreSQL (scripts/postgres.sh prints a URL).',
);
test.describe.configure({ mode: 'serial' });

const proxyURL = process.env.E2E_PROXY_URL ?? 'http://127.0.0.1:3300';
const processes = 3;

const stamp = Date.now();
const invited = "You're invited to join Default";
const verify = 'Verify your email address';

type Upstreams = { total: number; upstreams: { url: string; requests: number; errors: number }[] };

async function upstreamCounts(): Promise<Upstreams> {
  const response = await fetch(`${proxyURL}/__upstreams`);
  return (await response.json()) as Upstreams;
}

function upstreamOf(headers: Record<string, string>): number {
  const value = headers['x-upstream'];
  expect(value, 'the proxy names the process that answered').toMatch(/^\d$/);
  return Number(value);
}

/** The user behind the context's session cookie, asked of one process. */
async function currentUser(request: APIRequestContext) {
  const response = await request.post('/rpc/current_user', { form: {} });
  expect(response.status()).toBe(200);
  return { upstream: upstreamOf(response.headers()), user: (await response.json()) as { email: string } | null };
}

/**
 * Asks who is signed in until every process has answered (round-robin, so
 * three requests in a row normally do it); `check` runs on every answer.
 */
async function askEveryProcess(request: APIRequestContext, check: (user: { email: string } | null) => void) {
  const seen = new Set<number>();
  for (let i = 0; i < processes * 4 && seen.size < processes; i++) {
    const { upstream, user } = await currentUser(request);
    check(user);
    seen.add(upstream);
  }
  expect([...seen].sort(), 'every process answered').toEqual([0, 1, 2]);
}

/** Registers from the mailed link, verifies, signs in (all through the proxy). */
async function registerAndVerify(browser: Browser, person: { email: string; password: string }, inviteLink?: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (inviteLink) {
    await page.goto(inviteLink);
    await expect(page.getByRole('heading', { name: 'You have been invited to join Default' })).toBeVisible();
    await waitForHydration(page);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Register' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  } else {
    const registration = new RegisterPage(page);
    await registration.open();
    await registration.register({ firstName: 'Scale', lastName: 'Out', ...person });
  }
  await verifyByLink(page, linkIn(await waitForMail(person.email, verify), '/verify-email/'));
  return page;
}

test('the seed flow was spread evenly over the three processes, without an error', async () => {
  const counts = await upstreamCounts();
  console.log(`proxy counts after the seed flow: ${JSON.stringify(counts)}`);
  expect(counts.upstreams).toHaveLength(processes);
  // Hundreds of requests (pages, /pkg, /rpc) went through; round-robin per
  // request gives each process a third, give or take one.
  expect(counts.total).toBeGreaterThan(100);
  for (const upstream of counts.upstreams) {
    expect(upstream.errors, `${upstream.url} errors`).toBe(0);
    expect(upstream.requests, `${upstream.url} requests`).toBeGreaterThanOrEqual(Math.floor(counts.total / processes));
  }
});

test('a session works on every process, and Revoke ends it on every process', async ({ page, browser }) => {
  const member = {
    firstName: 'Dorothy',
    lastName: 'Vaughan',
    email: `dorothy.vaughan.${stamp}@example.com`,
    password: 'amber-lantern-fjord-58',
  };
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await team.invite(member);
  const link = linkIn(await waitForMail(member.email, invited), '/invite/');

  const memberPage = await registerAndVerify(browser, member, link);
  await memberPage.goto('/sign-in');
  await waitForHydration(memberPage);
  await new SignInPage(memberPage).signIn(member.email, member.password);
  await expect(memberPage).toHaveURL(/\/invitations$/);
  await waitForHydration(memberPage);
  await memberPage.getByRole('button', { name: 'Accept' }).click();
  await expect(memberPage.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();

  // The session, made by one process, is known to all three.
  const memberRequest = memberPage.context().request;
  await askEveryProcess(memberRequest, (user) => expect(user?.email).toBe(member.email));

  // The admin revokes (through whichever process the proxy picks) …
  await team.open();
  await expect(team.row(member.email)).toContainText('Active');
  await team.confirmAction(member.email, 'Revoke');
  await expect(team.row(member.email).getByRole('cell').nth(3)).toHaveText('Disabled');

  // … and no process accepts the member's session any more.
  await askEveryProcess(memberRequest, (user) => expect(user, 'signed out after Revoke').toBeNull());
  // The browser, too (its page, /pkg and /rpc requests spread over all three).
  await memberPage.reload();
  await expect(memberPage).toHaveURL(/\/sign-in/);

  // Activate again; the member's old session stays ended.
  await team.action(member.email, 'Activate').click();
  await expect(team.row(member.email).getByRole('cell').nth(3)).toHaveText('Active');
  await askEveryProcess(memberRequest, (user) => expect(user).toBeNull());
  await memberPage.context().close();
});

test('the sign-in lockout counts failures on every process and holds on every process', async ({ browser }) => {
  const person = { email: `locked.out.${stamp}@example.com`, password: 'granite-willow-comet-93' };
  const page = await registerAndVerify(browser, person);

  // Which process answered each sign-in attempt.
  const answers: { status: number; upstream: number }[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/rpc/sign_in')) {
      answers.push({ status: response.status(), upstream: Number(response.headers()['x-upstream']) });
    }
  });
  const signIn = new SignInPage(page);
  await signIn.open();

  /** One attempt through the hydrated form; waits for its answer. */
  async function attempt(password: string) {
    const before = answers.length;
    await signIn.signIn(person.email, password);
    await expect.poll(() => answers.length, { message: 'the sign-in answer' }).toBe(before + 1);
    return answers[before];
  }

  // Ten failures for one account within 15 minutes lock it.
  for (let i = 1; i <= 10; i++) {
    const answer = await attempt(`wrong-password-${i}`);
    expect(answer.status, `failure ${i}`).toBe(401);
    await expect(page.getByRole('alert').filter({ hasText: 'Incorrect email address or password.' })).toBeVisible();
  }
  expect(new Set(answers.map((a) => a.upstream)).size, 'the failures went to all three processes').toBe(processes);

  // Locked: even the right password is refused, by each of the three.
  const refusals = [];
  for (let i = 0; i < processes; i++) {
    refusals.push(await attempt(person.password));
    await expect(
      page.getByRole('alert').filter({ hasText: 'Too many attempts. Please wait a few minutes and try again.' }),
    ).toBeVisible();
  }
  expect(refusals.map((a) => a.status)).toEqual([429, 429, 429]);
  expect(refusals.map((a) => a.upstream).sort(), 'every process refused').toEqual([0, 1, 2]);
  await expect(page).toHaveURL(/\/sign-in/);
  await page.context().close();
});

test('every mail the outbox sent reached the sink exactly once', async () => {
  // Give any duplicate delivery (another process's worker) time to show.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const all = await messages();
  console.log(`mails received: ${all.length}`);
  expect(all.length).toBeGreaterThan(5);
  const ids = all.map((m) => m.messageId);
  expect(ids.every(Boolean), 'every mail has a Message-ID').toBe(true);
  const duplicateIds = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(duplicateIds, 'no Message-ID arrives twice').toEqual([]);
  const links = all.flatMap((m) => m.text.split(/\s+/).filter((word) => /^https?:\/\//.test(word)));
  const tokenLinks = links.filter((link) => /\/(invite|verify-email)\//.test(link));
  expect(tokenLinks.length).toBeGreaterThan(0);
  const duplicateLinks = tokenLinks.filter((link, i) => tokenLinks.indexOf(link) !== i);
  expect(duplicateLinks, 'no invitation or verification link is mailed twice').toEqual([]);
  const bodies = all.map((m) => `${m.to.join(',')}\n${m.subject}\n${m.text}`);
  expect(bodies.filter((body, i) => bodies.indexOf(body) !== i), 'no mail arrives twice').toEqual([]);
});

/** The signed-in user's own API key in the current account, from /profile. */
async function ownKey(page: Page): Promise<string> {
  await page.goto('/profile');
  await waitForHydration(page);
  const key = page.getByRole('region', { name: 'API Key', exact: true });
  await key.getByRole('button', { name: 'Copy API Key' }).click();
  await expect(key.getByRole('status')).toHaveText('Copied');
  const value = await page.evaluate(() => navigator.clipboard.readText());
  expect(value).toMatch(/^mst_/);
  return value;
}

test("another account's key reaches nothing of this one, on any process", async ({ browser }) => {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  await signInAsAdmin(page);
  const keyOfDefault = await ownKey(page);
  const rest = context.request;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const membersOfDefault = async () => {
    const response = await rest.get('/api/v1/members?limit=100', { headers: bearer(keyOfDefault) });
    expect(response.status()).toBe(200);
    // What a member action would change (not Last Active, which moves).
    const { data } = (await response.json()) as { data: { id: string; role: string; status: string }[] };
    return { data: data.map(({ id, role, status }) => ({ id, role, status })) };
  };
  const before = await membersOfDefault();
  expect(before.data.length).toBeGreaterThan(1);

  // The same admin creates a second account; its key acts there only.
  await page.goto('/accounts/new');
  await waitForHydration(page);
  await page.getByLabel('Account Name').fill(`Elsewhere ${stamp}`);
  await page.getByRole('button', { name: 'Create Account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Elsewhere ${stamp}` })).toBeVisible();
  const keyOfOther = await ownKey(page);

  const seen = new Set<number>();
  for (const member of before.data) {
    for (const [method, path] of [
      ['GET', `/api/v1/members/${member.id}`],
      ['GET', `/api/v1/members/${member.id}/api-key`],
      ['POST', `/api/v1/members/${member.id}/demote`],
      ['POST', `/api/v1/members/${member.id}/revoke`],
      ['DELETE', `/api/v1/members/${member.id}`],
    ]) {
      const response = await rest.fetch(path, { method, headers: bearer(keyOfOther) });
      expect(response.status(), `${method} ${path} with the other account's key`).toBe(404);
      seen.add(upstreamOf(response.headers()));
    }
  }
  expect([...seen].sort(), 'every process answered').toEqual([0, 1, 2]);
  // Nothing of the Default account changed.
  expect(await membersOfDefault()).toEqual(before);
  await context.close();
});
