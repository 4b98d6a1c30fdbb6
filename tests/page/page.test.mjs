// Browser tests of the phone page: Debian's chromium driven by playwright-core
// on a phone-sized viewport, real companions on loopback, and the desktop
// played by this file over HTTP and SSE.
//
// Every screen is photographed at 360 px and 1280 px, light and dark, into
// $CROSSING_SCREENSHOT_DIR (a temp dir by default); each shot also checks that
// the page does not scroll sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let chromium = null;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  chromium = null;
}

const companionPath = process.env.CROSSING_COMPANION;
const chromiumPath = process.env.CROSSING_CHROMIUM || '/usr/bin/chromium';
const shots = process.env.CROSSING_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'crossing-shots-'));
const tmp = mkdtempSync(join(tmpdir(), 'crossing-page-'));
const children = [];
const servers = {};
let browser;

const skip = !chromium ? 'playwright-core is not installed: run `npm ci` in tests/page'
  : !companionPath ? 'CROSSING_COMPANION is not set' : false;

// ---- the companion ---------------------------------------------------------

function startCompanion(name, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(companionPath, ['serve', '--listen', '127.0.0.1:0',
                                        '--db', join(tmp, name + '.sqlite'), ...extra],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`companion ${name} did not start: ${err}`)), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/crossing-companion listening on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.stderr.on('data', (chunk) => { err += chunk; child.stderrText = err; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`companion ${name} exited ${code}: ${err}`)); });
  });
}

// ---- the desktop: start an order and follow its events ----------------------

// @headers go with the start only (a desktop's User-Agent, a proxy's X-Forwarded-For).
async function desktop(server, body = { kind: 'login' }, headers = {}) {
  const api = server + '/api/auth/cross-device';
  const post = (endpoint, payload, extra = {}) => fetch(api + '/' + endpoint, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...extra }, body: JSON.stringify(payload),
  });
  const response = await post('start', body, headers);
  assert.equal(response.status, 200, 'start: ' + await response.clone().text());
  const order = await response.json();
  const events = [];
  const controller = new AbortController();
  const stream = await fetch(`${api}/events?orderId=${encodeURIComponent(order.orderId)}` +
                             `&eventToken=${encodeURIComponent(order.eventToken)}`,
                             { signal: controller.signal });
  assert.equal(stream.status, 200);
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of stream.body) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = (frame.match(/^event: ?(.*)$/m) || [])[1];
          const data = (frame.match(/^data: ?(.*)$/m) || [])[1];
          if (type) events.push({ type, data: JSON.parse(data) });
        }
      }
    } catch (e) {
      // aborted at the end of the test
    }
  })();
  const waitFor = async (type, ms = 10000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => e.type === type);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${type} event; saw ${events.map((e) => e.type).join(', ') || 'none'}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    order,
    events,
    waitFor,
    finalize: () => post('finalize', { orderId: order.orderId, desktopToken: order.desktopToken }),
    cancel: () => post('cancel', { orderId: order.orderId, desktopToken: order.desktopToken }),
    close: () => controller.abort(),
  };
}

async function sessionSubject(server, token) {
  const response = await fetch(server + '/api/auth/get-session',
                               { headers: { Authorization: 'Bearer ' + token } });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.ok(body && body.user, 'no session for the finalized token');
  return body.user.subject;
}

async function approveAndFinalize(server, d, page) {
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  const finalized = await d.finalize();
  assert.equal(finalized.status, 200);
  const { token } = await finalized.json();
  assert.ok(token);
  return sessionSubject(server, token);
}

// ---- the phone --------------------------------------------------------------

async function phone(options = {}) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    ...options,
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('dialog', (dialog) => { page.problems.push('dialog: ' + dialog.message()); dialog.dismiss(); });
  page.on('pageerror', (error) => page.problems.push('page error: ' + error.message));
  page.on('console', (message) => {
    // A blocked inline script or style, or a failed asset, shows up here.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()))
      page.problems.push('console: ' + message.text());
  });
  return page;
}

// Errors the page is expected to log (the network tests cut the network).
function checkProblems(page, allowed = null) {
  const left = page.problems.filter((p) => !(allowed && allowed.test(p)));
  assert.deepEqual(left, [], 'the page had problems');
}

async function resultIs(page, title, timeout = 10000) {
  await page.locator('#screen-result:not([hidden])').waitFor({ timeout });
  await page.locator('#result-title', { hasText: title }).waitFor({ timeout });
  assert.equal(await page.locator('#result-icon svg:not([hidden])').count(), 1, 'one icon, not all');
  // Screen readers: focus moved to the new heading, and the live region said it.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'result-title');
  await page.waitForFunction((t) => document.getElementById('status').textContent.includes(t), title);
}

async function requestShown(page) {
  await page.locator('#screen-request:not([hidden])').waitFor();
  await page.waitForFunction(() => document.getElementById('time-left').textContent !== '');
}

async function shoot(page, name) {
  const original = page.viewportSize();
  for (const [label, width, height] of [['360', 360, 740], ['desktop', 1280, 860]]) {
    for (const scheme of ['light', 'dark']) {
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(sideways <= 0, `${name} scrolls sideways by ${sideways}px at ${width}px`);
      await page.screenshot({ path: join(shots, `${name}-${label}-${scheme}.png`), fullPage: true,
                              animations: 'disabled' });
    }
  }
  await page.setViewportSize(original);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

// The subject's short form (PROTOCOL.md "Sessions"), as the desktop and the terminal show it.
const fingerprintOf = (publicKeyHex) => 'ed25519:' + publicKeyHex.slice(0, 16);

// ---- setup ------------------------------------------------------------------

// A small MaxMind database made here, as the companion's own tests make it.
function testGeoip() {
  const file = join(tmp, 'test-city.mmdb');
  const made = spawnSync('perl', [new URL('../companion/make-test-geoip.pl', import.meta.url).pathname,
                                  file, '203.0.113.0/24,DE,Germany,Berlin'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error('make-test-geoip.pl failed: ' + made.stderr);
  return file;
}

before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  [servers.main, servers.short, servers.closed, servers.codes, servers.proxied] = await Promise.all([
    startCompanion('main', ['--app-name', 'Crossing Test']),
    startCompanion('short', ['--order-ttl', '3']),
    startCompanion('closed', ['--registration', 'closed']),
    // Its own miss counts: the third wrong code within a minute is refused.
    startCompanion('codes', ['--user-code-misses-per-minute-per-ip', '2']),
    // Behind a proxy (this test), with a database that puts 203.0.113.0/24 in Berlin.
    startCompanion('proxied', ['--trust-proxy', '--geoip-db', testGeoip()]),
  ]);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           // A name that is not "potentially trustworthy", for the plain-http case.
           '--host-resolver-rules=MAP crossing.test 127.0.0.1'],
  });
});

after(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
  if (!process.env.CROSSING_SCREENSHOT_DIR && !skip) console.log('# screenshots in ' + shots);
});

// ---- the cases --------------------------------------------------------------

test('approve: the page shows the request, the desktop sees approved and finalizes', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', displaySummary: 'Sign in to the test desk.' });
  const page = await phone();
  // Hold the claim for a moment, to photograph the loading screen.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/claim', async (route) => { await held; await route.continue(); });
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-loading:not([hidden])').waitFor();
  await shoot(page, '01-loading');
  release();

  await requestShown(page);
  assert.equal(await page.locator('#eyebrow').textContent(), 'Crossing Test wants to sign you in');
  assert.equal(await page.locator('#title').textContent(), 'Crossing Test login');
  assert.equal(await page.locator('#summary').textContent(), 'Sign in to the test desk.');
  assert.equal(await page.locator('#origin').textContent(), new URL(servers.main).origin);
  assert.equal(await page.locator('#requester-ip').textContent(), ' · 127.0.0.1');
  assert.equal(await page.locator('#requester-device').textContent(), 'An unknown device');
  assert.match(await page.locator('#time-left').textContent(), /^(2:00|1:[0-5]\d)$/);
  assert.match(await page.locator('#key-fingerprint').textContent(), /^ed25519:[0-9a-f]{16}$/);
  assert.equal(await page.locator('#key-label').textContent(), 'Signing in as');
  // The claim token is spent: it left the address bar.
  assert.equal(new URL(page.url()).search, '');
  const input = page.locator('#check-code');
  assert.equal(await input.getAttribute('inputmode'), 'numeric');
  assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await page.locator('label[for="check-code"]').textContent(), 'Number shown on your computer');
  await shoot(page, '02-request');

  const fingerprint = await page.locator('#key-fingerprint').textContent();
  const subject = await approveAndFinalize(servers.main, d, page);
  assert.match(subject, /^ed25519:[0-9a-f]{64}$/);
  assert.equal(fingerprintOf(subject.slice('ed25519:'.length)), fingerprint,
               'the fingerprint shown is not the key that signed');
  await shoot(page, '03-approved');
  // A reload after the end shows the end again, not "already opened".
  await page.reload();
  await resultIs(page, 'Approved');
  checkProblems(page);
  d.close();
});

test('the device key stays across orders, and "Use a new key" changes it', { skip }, async () => {
  const page = await phone();
  const first = await desktop(servers.main);
  await page.goto(first.order.claimUrl);
  await requestShown(page);
  const subject1 = await approveAndFinalize(servers.main, first, page);

  const second = await desktop(servers.main);
  await page.goto(second.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#key-fingerprint').textContent(), fingerprintOf(subject1.slice(8)));
  await page.click('#new-key');
  assert.equal(await page.locator('#new-key').getAttribute('aria-expanded'), 'true');
  await page.locator('#new-key-confirm:not([hidden])').waitFor();
  await shoot(page, '04-new-key-confirm');
  await page.click('#new-key-yes');
  await page.locator('#new-key-confirm').waitFor({ state: 'hidden' });
  const fresh = await page.locator('#key-fingerprint').textContent();
  assert.notEqual(fresh, fingerprintOf(subject1.slice(8)));
  const subject2 = await approveAndFinalize(servers.main, second, page);
  assert.notEqual(subject2, subject1);
  assert.equal(fingerprintOf(subject2.slice(8)), fresh);
  checkProblems(page);
  first.close();
  second.close();
});

test('decline: the desktop sees rejected', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  await page.click('#reject');
  await resultIs(page, 'Declined');
  await d.waitFor('rejected');
  await shoot(page, '05-rejected');
  checkProblems(page);
  d.close();
});

test('the request expires while the page is open', { skip }, async () => {
  const d = await desktop(servers.short);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  await resultIs(page, 'This request has expired', 8000);
  await d.waitFor('expired');
  await shoot(page, '06-expired');
  // Too late is too late: nothing was approved.
  assert.equal(d.events.some((e) => e.type === 'approved'), false);
  checkProblems(page);
  d.close();
});

test('a second device is told another phone opened the code first', { skip }, async () => {
  const d = await desktop(servers.main);
  const first = await phone();
  await first.goto(d.order.claimUrl);
  await requestShown(first);
  const second = await phone();
  await second.goto(d.order.claimUrl);
  await resultIs(second, 'Already opened on another device');
  assert.equal(await second.locator('#retry').isVisible(), false);
  await shoot(second, '07-already-claimed');
  // The first phone is not disturbed by it.
  const claimed = await d.waitFor('claimed');
  await first.fill('#check-code', claimed.data.checkCode);
  await first.click('#approve');
  await resultIs(first, 'Approved');
  checkProblems(first);
  checkProblems(second);
  d.close();
});

test('a reload in the middle continues the same request', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const fingerprint = await page.locator('#key-fingerprint').textContent();
  await page.reload();
  await requestShown(page);
  assert.equal(await page.locator('#key-fingerprint').textContent(), fingerprint);
  const claimed = await d.waitFor('claimed');
  assert.equal(d.events.filter((e) => e.type === 'claimed').length, 1);
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  checkProblems(page);
  d.close();
});

test('three wrong codes reject the order; the count survives a reload', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  const wrong = claimed.data.checkCode === '42' ? '43' : '42';

  await page.fill('#check-code', wrong);
  await page.click('#approve');
  await page.locator('#check-code-error', { hasText: '2 tries left' }).waitFor();
  assert.equal(await page.locator('#check-code').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'check-code');

  await page.reload();
  await requestShown(page);
  await page.locator('#check-code-error', { hasText: '2 tries left' }).waitFor();
  await page.fill('#check-code', wrong);
  await page.click('#approve');
  await page.locator('#check-code-error', { hasText: 'One try left' }).waitFor();
  await shoot(page, '08-wrong-code');

  await page.fill('#check-code', wrong);
  await page.click('#approve');
  await resultIs(page, 'Too many wrong numbers');
  await d.waitFor('rejected');
  assert.equal(d.events.some((e) => e.type === 'approved'), false);
  await shoot(page, '09-code-rejected');
  checkProblems(page);
  d.close();
});

test('a title with markup is shown as text', { skip }, async () => {
  const title = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const summary = '<b>bold?</b> & "quotes"';
  const d = await desktop(servers.main, { kind: 'sign', displayTitle: title, displaySummary: summary });
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#title').textContent(), title);
  assert.equal(await page.locator('#summary').textContent(), summary);
  assert.equal(await page.locator('#screen-request img, #screen-request script, #screen-request b').count(), 0);
  assert.equal(await page.locator('#eyebrow').textContent(), 'Crossing Test asks for your signature');
  await shoot(page, '10-markup-title');
  checkProblems(page);   // no dialog opened, no script ran
  d.close();
});

test('over plain http from another host the page explains https instead of claiming', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  const insecure = new URL(d.order.claimUrl);
  insecure.hostname = 'crossing.test';
  await page.goto(insecure.href);
  assert.equal(await page.evaluate(() => window.isSecureContext), false);
  await resultIs(page, 'A secure connection is needed');
  const extra = await page.locator('#result-extra').textContent();
  assert.match(extra, /crossing-companion serve --tls-cert FILE --tls-key FILE/);
  assert.match(extra, /--public-url https:/);
  await shoot(page, '11-insecure');
  // Nothing was claimed: a phone on https can still take the order.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(d.events.length, 0);
  checkProblems(page);
  d.close();
});

test('a lost network offers to try again, and trying again continues', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.context().setOffline(true);
  await page.click('#approve');
  await resultIs(page, 'Connection lost');
  assert.equal(await page.locator('#retry').isVisible(), true);
  await shoot(page, '12-network-lost');
  await page.context().setOffline(false);
  await page.click('#retry');
  await requestShown(page);
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  checkProblems(page, /ERR_INTERNET_DISCONNECTED/);
  d.close();
});

test('a server error shows the server\'s message', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  await page.route('**/approve', (route) => route.fulfill({
    status: 500, contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ code: 'INTERNAL_ERROR', message: 'The disk is full <b>(test)</b>' }),
  }));
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Something went wrong');
  assert.equal(await page.locator('#result-text').textContent(), 'The disk is full <b>(test)</b>');
  await shoot(page, '13-server-error');
  checkProblems(page, /status of 500/);
  d.close();
});

test('when the computer cancels, the open page says the request ended', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal((await d.cancel()).status, 200);
  await resultIs(page, 'This request has ended', 9000);
  await shoot(page, '14-ended');
  checkProblems(page, /status of 400/);
  d.close();
});

test('a key the operator has not added is told so, with the key to add', { skip }, async () => {
  const d = await desktop(servers.closed);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'This key may not sign in');
  const subject = await page.locator('#result-extra').textContent();
  assert.match(subject, /^ed25519:[0-9a-f]{64}$/);
  assert.equal(fingerprintOf(subject.slice(8)), await page.locator('#key-fingerprint').textContent());
  await shoot(page, '15-key-not-allowed');
  checkProblems(page, /status of 401/);
  d.close();
});

test('keyboard only: Tab reaches the code, Enter approves', { skip }, async () => {
  const d = await desktop(servers.main);
  const page = await phone({ isMobile: false, hasTouch: false, viewport: { width: 1280, height: 860 } });
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'title');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'check-code');
  const claimed = await d.waitFor('claimed');
  await page.keyboard.type(claimed.data.checkCode);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'approve');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'reject');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'approve');
  await page.keyboard.press('Enter');
  await resultIs(page, 'Approved');
  checkProblems(page);
  d.close();
});

test('large text still fits a 360 px screen', { skip }, async () => {
  const d = await desktop(servers.main, {
    kind: 'transaction', displayTitle: 'Pay 12.50 EUR to the Very Long Named Bakery Cooperative',
    displaySummary: 'Order 2026-11-22-000123: two loaves, a cake, and a very long line to wrap.',
  });
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  // As a reader who set a 150 % default size in the browser.
  await page.evaluate(() => { document.documentElement.style.fontSize = '150%'; });
  assert.ok(await page.locator('#approve').evaluate((b) => b.getBoundingClientRect().height >= 60));
  await shoot(page, '16-large-text');
  checkProblems(page);
  d.close();
});

test('nimiq-pay outside Nimiq Pay: approval is blocked with a plain note, reject works', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', adapterId: 'nimiq-pay' });
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.match(await page.locator('#signer-note').textContent(), /Nimiq Pay/);
  assert.equal(await page.locator('#approve').isDisabled(), true);
  assert.equal(await page.locator('#key-box').isVisible(), false);
  assert.equal(await page.locator('#check-code').isVisible(), false);
  await shoot(page, '17-nimiq-missing');
  await page.click('#reject');
  await resultIs(page, 'Declined');
  await d.waitFor('rejected');
  checkProblems(page);
  d.close();
});

// Stands in for Nimiq Pay's provider: sign(message) -> { publicKey, signature }
// in hex, Ed25519 over SHA-256 of the "Nimiq Signed Message" prefixed text.
function fakeNimiqPay() {
  const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  window.nimiq = {
    async sign(message) {
      const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
      const text = new TextEncoder().encode(message);
      const prefix = new TextEncoder().encode('\x16Nimiq Signed Message:\n' + text.length);
      const data = new Uint8Array(prefix.length + text.length);
      data.set(prefix);
      data.set(text, prefix.length);
      const digest = await crypto.subtle.digest('SHA-256', data);
      const signature = await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, digest);
      window.nimiqSigned = message;
      return { publicKey: hex(await crypto.subtle.exportKey('raw', pair.publicKey)), signature: hex(signature) };
    },
  };
}

test('nimiq-pay inside Nimiq Pay: the wallet signs and the subject is a Nimiq address', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', adapterId: 'nimiq-pay' });
  const page = await phone();
  await page.addInitScript(fakeNimiqPay);
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#signer-note').isVisible(), false);
  const subject = await approveAndFinalize(servers.main, d, page);
  assert.match(subject, /^NQ\d\d( [0-9A-Z]{4}){8}$/);
  assert.match(await page.evaluate(() => window.nimiqSigned), /^Crossing Test requests cross-device approval\n/);
  checkProblems(page);
  d.close();
});

test('nimiq-pay: cancelling in the wallet keeps the request open', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', adapterId: 'nimiq-pay' });
  const page = await phone();
  await page.addInitScript(() => {
    window.nimiq = { sign: async () => ({ error: { type: 'PermissionDeniedError', message: 'User denied' } }) };
  });
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await page.locator('#form-error', { hasText: 'Signing was cancelled in Nimiq Pay.' }).waitFor();
  assert.equal(await page.locator('#approve').isDisabled(), false);
  assert.equal(d.events.some((e) => e.type === 'rejected' || e.type === 'approved'), false);
  checkProblems(page);
  d.close();
});

test('Nimiq direct sign-in: the page signs with Nimiq Pay and lands signed in', { skip }, async () => {
  const page = await phone();
  await page.addInitScript(fakeNimiqPay);
  await page.goto(servers.main + '/nimiq/sign-in');
  await page.locator('#sign-pay:not([hidden])').waitFor();
  await shoot(page, '18-nimiq-sign-in');
  await page.click('#sign-pay');
  await page.locator('#screen-done:not([hidden])').waitFor({ timeout: 10000 });
  const subject = await page.locator('#user-subject').textContent();
  assert.match(subject, /^NQ\d\d( [0-9A-Z]{4}){8}$/);
  assert.match(await page.evaluate(() => window.nimiqSigned), /^Crossing Test requests sign-in with Nimiq\n/);
  await shoot(page, '19-nimiq-signed-in');
  checkProblems(page);
});

test('mobile QR: the phone page signs with its device key, the desktop status gets the session', { skip }, async () => {
  const api = servers.main + '/api/auth/mobile-qr';
  const started = await fetch(api + '/start', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ providerId: 'ed25519' }),
  });
  assert.equal(started.status, 200);
  const start = await started.json();
  const poll = started.headers.get('set-cookie').split(';')[0];
  const status = async () => (await fetch(`${api}/status?challengeId=${start.challengeId}`,
                                          { headers: { Cookie: poll } })).json();
  assert.equal((await status()).scanned, false);

  const page = await phone();
  await page.goto(start.signingUrl);
  await page.locator('#screen-request:not([hidden])').waitFor();
  assert.equal((await status()).scanned, true);
  await shoot(page, '20-mobile-qr-request');
  await page.click('#approve');
  await page.locator('#screen-result:not([hidden])').waitFor({ timeout: 10000 });
  await shoot(page, '21-mobile-qr-done');

  const approved = await status();
  assert.equal(approved.status, 'approved');
  assert.match(await sessionSubject(servers.main, approved.token), /^ed25519:[0-9a-f]{64}$/);
  checkProblems(page);
});

// ---- issue 14: a typed code, another tab, the context, German ---------------

test('code entry: a typed code in any case and spacing claims, then the same screens approve', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', userCode: true });
  assert.match(d.order.userCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  const page = await phone();
  // A link with the code only fills the field: a link previewer claims nothing.
  await page.goto(d.order.verificationUri + '?user_code=' + encodeURIComponent(d.order.userCode));
  await page.locator('#screen-code:not([hidden])').waitFor();
  assert.equal(await page.locator('#user-code').inputValue(), d.order.userCode);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user-code');
  assert.equal(await page.locator('label[for="user-code"]').textContent(), 'Code');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(d.events.length, 0, 'opening the entry page claimed the order');
  await shoot(page, '22-code-entry');

  // Small letters, a space instead of the dash, spaces around.
  const typed = ' ' + d.order.userCode.toLowerCase().replace('-', ' ') + ' ';
  await page.fill('#user-code', typed);
  await page.click('#code-continue');
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  // From here the page is the claim link's: a reload continues it.
  assert.equal(new URL(page.url()).pathname, '/cross-device/claim/' + d.order.orderId);
  assert.equal(await page.locator('#title').textContent(), 'Crossing Test login');
  await page.reload();
  await requestShown(page);
  assert.equal(d.events.filter((e) => e.type === 'claimed').length, 1);
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  const finalized = await d.finalize();
  assert.equal(finalized.status, 200);
  assert.match(await sessionSubject(servers.main, (await finalized.json()).token), /^ed25519:[0-9a-f]{64}$/);
  checkProblems(page);
  d.close();
});

test('code entry: a wrong, a malformed and a rate-limited code are each told apart', { skip }, async () => {
  const d = await desktop(servers.codes, { kind: 'login', userCode: true });
  const page = await phone();
  await page.goto(d.order.verificationUri);
  await page.locator('#screen-code:not([hidden])').waitFor();
  assert.equal(await page.locator('#user-code').inputValue(), '');

  await page.click('#code-continue');
  await page.locator('#user-code-error', { hasText: 'Type the code your computer shows.' }).waitFor();

  // A digit: not a code at all, and not counted as a miss.
  await page.fill('#user-code', 'WDJB-MJH0');
  await page.click('#code-continue');
  await page.locator('#user-code-error', { hasText: 'That is not a code' }).waitFor();
  assert.equal(await page.locator('#user-code').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user-code');
  await shoot(page, '23-code-malformed');

  // A well-formed code no order has (the real one with its halves swapped).
  const [a, b] = d.order.userCode.split('-');
  const wrong = a === b ? 'BBBB-CCCC' : b + '-' + a;
  for (let i = 0; i < 2; i++) {
    await page.fill('#user-code', wrong);
    await page.click('#code-continue');
    await page.locator('#user-code-error', { hasText: 'This code is wrong or has expired.' }).waitFor();
    await page.locator('#code-continue:not([disabled])').waitFor();
  }
  await shoot(page, '24-code-wrong');

  // Past the limit even the right code waits, and the page says how long.
  await page.fill('#user-code', d.order.userCode);
  await page.click('#code-continue');
  await page.locator('#user-code-error', { hasText: /^Too many wrong codes\. Wait \d+ seconds?, then try again\.$/ }).waitFor();
  assert.equal(await page.locator('#code-continue').isDisabled(), true);
  assert.match(await page.locator('#code-continue').textContent(), /^Try again in \d+ s$/);
  await shoot(page, '25-code-rate-limited');
  assert.equal(d.events.length, 0);
  checkProblems(page, /status of 4(00|29)/);
  d.close();
});

test('keyboard only on the code screen: the field has focus, Enter claims, Tab reaches Continue', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', userCode: true });
  const page = await phone({ isMobile: false, hasTouch: false, viewport: { width: 1280, height: 860 } });
  await page.goto(d.order.verificationUri);
  await page.locator('#screen-code:not([hidden])').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user-code');
  // Every control has a name a screen reader can say, and a large target.
  for (const id of ['user-code', 'code-continue']) {
    const box = await page.locator('#' + id).boundingBox();
    assert.ok(box.height >= 44, `${id} is ${box.height}px high`);
  }
  assert.deepEqual(await page.evaluate(() => document.getElementById('user-code').getAttribute('aria-describedby')),
                   'user-code-help user-code-error');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'code-continue');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.type(d.order.userCode.replace('-', '').toLowerCase());
  await page.keyboard.press('Enter');
  await requestShown(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'title');
  await d.waitFor('claimed');
  checkProblems(page);
  d.close();
});

test('the same browser reopening the link in a new tab continues the claim', { skip }, async () => {
  const d = await desktop(servers.main);
  const first = await phone();
  await first.goto(d.order.claimUrl);
  await requestShown(first);
  const key = 'crossing.order.' + d.order.orderId;
  assert.ok(JSON.parse(await first.evaluate((k) => localStorage.getItem(k), key)).challengeToken);

  // The QR scanned again, in another tab of the same browser.
  const second = await first.context().newPage();
  second.problems = [];
  second.on('pageerror', (error) => second.problems.push('page error: ' + error.message));
  await second.goto(d.order.claimUrl);
  await requestShown(second);
  assert.equal(await second.locator('#title').textContent(), await first.locator('#title').textContent());
  assert.equal(await second.locator('#key-fingerprint').textContent(),
               await first.locator('#key-fingerprint').textContent());
  assert.equal(d.events.filter((e) => e.type === 'claimed').length, 1);
  await shoot(second, '26-new-tab');

  // Another phone still may not.
  const other = await phone();
  await other.goto(d.order.claimUrl);
  await resultIs(other, 'Already opened on another device');

  const claimed = await d.waitFor('claimed');
  await second.fill('#check-code', claimed.data.checkCode);
  await second.click('#approve');
  await resultIs(second, 'Approved');
  await d.waitFor('approved');
  // The first tab learns it too, and the token has left the browser's storage.
  await resultIs(first, 'Approved');
  const left = JSON.parse(await first.evaluate((k) => localStorage.getItem(k), key));
  assert.equal(left.challengeToken, undefined);
  assert.equal(left.outcome, 'approved');
  checkProblems(first);
  checkProblems(second);
  checkProblems(other, /status of 409/);
  d.close();
});

test('German under Accept-Language: de, from the code to the approval', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', userCode: true });
  const page = await phone({ locale: 'de-DE' });
  await page.goto(d.order.verificationUri);
  await page.locator('#screen-code:not([hidden])').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  assert.equal(await page.locator('#code-title').textContent(), 'Code vom Computer eingeben');
  assert.equal(await page.locator('#code-continue').textContent(), 'Weiter');
  await shoot(page, '27-de-code-entry');
  await page.fill('#user-code', d.order.userCode);
  await page.click('#code-continue');
  await requestShown(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  assert.equal(await page.locator('#eyebrow').textContent(), 'Crossing Test möchte Sie anmelden');
  assert.equal(await page.locator('label[for="check-code"]').textContent(), 'Zahl auf Ihrem Computer');
  assert.equal(await page.locator('#approve').textContent(), 'Bestätigen');
  assert.equal(await page.locator('#reject').textContent(), 'Ablehnen');
  assert.equal(await page.locator('#key-label').textContent(), 'Anmelden als');
  await shoot(page, '28-de-request');
  const claimed = await d.waitFor('claimed');
  const wrong = claimed.data.checkCode === '42' ? '43' : '42';
  await page.fill('#check-code', wrong);
  await page.click('#approve');
  await page.locator('#check-code-error', { hasText: 'Noch 2 Versuche.' }).waitFor();
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Bestätigt');
  await shoot(page, '29-de-approved');
  checkProblems(page, /status of 400/);
  d.close();
});

test('a signature shows the payload hash, short and whole on a tap', { skip }, async () => {
  const payloadHash = createHash('sha256').update('the document').digest('hex');
  const d = await desktop(servers.main, { kind: 'sign', displayTitle: 'Sign the contract', payloadHash });
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const hash = page.locator('#payload-hash');
  assert.equal(await page.locator('#hash-fact').isVisible(), true);
  assert.equal(await hash.textContent(), payloadHash.slice(0, 8) + '…' + payloadHash.slice(-8));
  assert.equal(await hash.getAttribute('aria-expanded'), 'false');
  assert.ok((await hash.boundingBox()).height >= 44, 'the hash is a large enough target');
  await hash.tap();
  assert.equal(await hash.textContent(), payloadHash);
  assert.equal(await hash.getAttribute('aria-expanded'), 'true');
  assert.equal(await page.locator('#key-label').textContent(), 'Signing as');
  await shoot(page, '30-payload-hash');
  await hash.tap();
  assert.equal(await hash.textContent(), payloadHash.slice(0, 8) + '…' + payloadHash.slice(-8));
  // A login has no hash to show.
  const login = await desktop(servers.main);
  await page.goto(login.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#hash-fact').isVisible(), false);
  checkProblems(page);
  d.close();
  login.close();
});

test('a ledger order shows its amount above the summary, in the page\'s language', { skip }, async () => {
  // The ledger's transaction orders come with issue 12; this one is given
  // the details they carry (PROTOCOL.md "A transaction order that captures
  // a hold") on its way to the page.
  for (const [locale, shown] of [['en-US', '1,250.00 EUR'], ['de-DE', '1.250,00 EUR']]) {
    const d = await desktop(servers.main, { kind: 'transaction', displaySummary: 'Pay 1250.00 EUR: the bakery' });
    const page = await phone({ locale });
    await page.route('**/challenge', async (route) => {
      const response = await route.fetch();
      const envelope = await response.json();
      envelope.details = { ...envelope.details, amount: '125000', asset: 'EUR', scale: '2', reservationId: 'r1' };
      await route.fulfill({ response, json: envelope });
    });
    await page.goto(d.order.claimUrl);
    await requestShown(page);
    assert.equal(await page.locator('#amount').textContent(), shown);
    const order = await page.evaluate(() => {
      const amount = document.getElementById('amount');
      return amount.compareDocumentPosition(document.getElementById('summary')) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    assert.ok(order, 'the amount comes before the summary');
    // The ledger's own details are not shown again as custom context.
    assert.equal(await page.locator('.context-fact').count(), 0);
    await shoot(page, '31-amount-' + locale);
    checkProblems(page);
    d.close();
  }
});

// The Nimiq key of PROTOCOL.md's vector, as a wallet holding one account.
const NIMIQ_VECTOR = {
  seed: '682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e',
  publicKey: '0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980',
  address: 'NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U',
};

function fakeNimiqWallet({ seed, publicKey, accounts }) {
  const bytes = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
  const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  window.nimiqSigned = null;
  window.nimiq = {
    async sign(message) {
      // PKCS #8 of an Ed25519 seed: a fixed prefix, then the 32 bytes.
      const key = await crypto.subtle.importKey('pkcs8', bytes('302e020100300506032b657004220420' + seed),
                                                { name: 'Ed25519' }, false, ['sign']);
      const text = new TextEncoder().encode(message);
      const prefix = new TextEncoder().encode('\x16Nimiq Signed Message:\n' + text.length);
      const data = new Uint8Array(prefix.length + text.length);
      data.set(prefix);
      data.set(text, prefix.length);
      const digest = await crypto.subtle.digest('SHA-256', data);
      window.nimiqSigned = message;
      return { publicKey, signature: hex(await crypto.subtle.sign({ name: 'Ed25519' }, key, digest)) };
    },
  };
  if (accounts) window.nimiq.listAccounts = async () => window.nimiqAccounts;
  window.nimiqAccounts = accounts || [];
}

test('an identified order names its signer, and another key cannot approve it', { skip }, async () => {
  const other = 'ed25519:' + 'ab'.repeat(32);
  const d = await desktop(servers.main, { kind: 'login', subject: other });
  assert.equal(d.order.subject, other);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#subject-note').textContent(),
               'Only ed25519:abababababababab can approve this request.');
  // Said before the signature, so no wrong signature counts against the order.
  assert.equal(await page.locator('#approve').isDisabled(), true);
  assert.equal(await page.locator('#check-code').isVisible(), false);
  assert.match(await page.locator('#signer-note').textContent(),
               /^This request is for ed25519:abababababababab, and this device signs as ed25519:[0-9a-f]{16}, /);
  await shoot(page, '32-identified-other-key');
  await page.click('#reject');
  await resultIs(page, 'Declined');
  assert.equal((await d.waitFor('rejected')).data.reason, 'user');
  checkProblems(page);
  d.close();
});

test('an identified order for this device\'s key approves, and the message names the subject', { skip }, async () => {
  const page = await phone();
  const first = await desktop(servers.main);
  await page.goto(first.order.claimUrl);
  await requestShown(page);
  const subject = await approveAndFinalize(servers.main, first, page);

  const d = await desktop(servers.main, { kind: 'sign', subject, displayTitle: 'Sign as yourself' });
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const short = subject.slice(0, 'ed25519:'.length + 16);
  assert.equal(await page.locator('#subject-note').textContent(), `Only ${short} can approve this request.`);
  assert.equal(await page.locator('#key-fingerprint').textContent(), short);
  assert.equal(await page.locator('#signer-note').isVisible(), false);
  assert.equal(await page.locator('#approve').isDisabled(), false);
  await shoot(page, '33-identified-this-key');
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  const finalized = await (await d.finalize()).json();
  assert.equal(finalized.proofArtifact.subject, subject);
  assert.match(finalized.proofArtifact.message, new RegExp('\norderId: [^\n]+\nsubject: ' + subject + '\nsummary: '));
  checkProblems(page);
  first.close();
  d.close();
});

test('nimiq-pay identified order: the wallet must hold the account before anything is signed', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', subject: NIMIQ_VECTOR.address.replace(/ /g, '').toLowerCase() });
  assert.equal(d.order.subject, NIMIQ_VECTOR.address);
  assert.equal(d.order.adapterId, 'nimiq-pay');
  const page = await phone();
  await page.addInitScript(fakeNimiqWallet, { ...NIMIQ_VECTOR, accounts: ['NQ07 0000 0000 0000 0000 0000 0000 0000 0000'] });
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#subject-note').textContent(),
               `Only ${NIMIQ_VECTOR.address} can approve this request.`);
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await page.locator('#form-error', { hasText: 'this wallet does not hold that account' }).waitFor();
  assert.equal(await page.evaluate(() => window.nimiqSigned), null);
  await shoot(page, '34-nimiq-wrong-account');

  // The user switches to the account (spelt without spaces, as wallets may).
  await page.evaluate((a) => { window.nimiqAccounts = [a.replace(/ /g, '')]; }, NIMIQ_VECTOR.address);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  const finalized = await (await d.finalize()).json();
  assert.equal(await sessionSubject(servers.main, finalized.token), NIMIQ_VECTOR.address);
  checkProblems(page);
  d.close();
});

test('a wallet without listAccounts signing with another account is told "Signed by another account"', { skip }, async () => {
  const d = await desktop(servers.main, { kind: 'login', subject: NIMIQ_VECTOR.address });
  const page = await phone();
  await page.addInitScript(fakeNimiqPay);
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Signed by another account');
  assert.match(await page.locator('#result-text').textContent(), /^Only NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U can approve/);
  assert.equal(await page.locator('#retry').isVisible(), true);
  await shoot(page, '35-subject-mismatch');
  // The order waits for the right account: Try again is the same request.
  await page.click('#retry');
  await requestShown(page);
  assert.equal(d.events.some((e) => e.type === 'rejected'), false);
  checkProblems(page, /status of 403/);
  d.close();
});

const FIREFOX_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

// Is @a before @b in the document?
const before_ = (page, a, b) => page.evaluate(([x, y]) =>
  !!(document.querySelector(x).compareDocumentPosition(document.querySelector(y)) &
     Node.DOCUMENT_POSITION_FOLLOWING), [a, b]);

test('the request shows the asking device, where it is and the custom context before Approve', { skip }, async () => {
  const payloadHash = createHash('sha256').update('till 4 receipt').digest('hex');
  const d = await desktop(servers.main, {
    kind: 'transaction', displayTitle: 'Pay at the till', payloadHash,
    context: { terminal: 'Till 4', cashier: 'Ana <b>Marquez</b>' },
  }, { 'User-Agent': FIREFOX_ON_LINUX });
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#requester-device').textContent(), 'Firefox on Linux');
  assert.equal(await page.locator('#requester-ip').textContent(), ' · 127.0.0.1');
  assert.equal(await page.locator('#requester-location').textContent(), 'on this computer');
  assert.equal(await page.locator('#estimate-note').isVisible(), true);
  // The pairs in the order the message signs them, as text.
  const pairs = await page.locator('.context-fact').evaluateAll((rows) =>
    rows.map((row) => [row.querySelector('dt').textContent, row.querySelector('dd').textContent]));
  assert.deepEqual(pairs, [['cashier', 'Ana <b>Marquez</b>'], ['terminal', 'Till 4']]);
  assert.equal(await page.locator('#screen-request b').count(), 0);
  assert.equal(await page.locator('#hash-fact').isVisible(), true);
  for (const shown of ['.context-fact', '#hash-fact', '#requester-location', '#requester-device'])
    assert.ok(await before_(page, shown, '#approve'), shown + ' is not before the approve button');
  await shoot(page, '36-context');

  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await resultIs(page, 'Approved');
  await d.waitFor('approved');
  const { proofArtifact } = await (await d.finalize()).json();
  assert.match(proofArtifact.message,
               /\ncashier: Ana <b>Marquez<\/b>\nkind: transaction\norderId: [^\n]+\nsummary: [^\n]+\nterminal: Till 4\ntitle: Pay at the till$/);
  checkProblems(page);
  d.close();
});

test('behind a trusted proxy: a desktop in Berlin is approximately there, one on the LAN is local', { skip }, async () => {
  const far = await desktop(servers.proxied, { kind: 'login' },
                            { 'User-Agent': FIREFOX_ON_LINUX, 'X-Forwarded-For': '203.0.113.7' });
  const page = await phone();
  await page.goto(far.order.claimUrl);
  await requestShown(page);
  assert.equal(await page.locator('#requester-ip').textContent(), ' · 203.0.113.7');
  assert.equal(await page.locator('#requester-location').textContent(), 'approximately Berlin, Germany');
  await shoot(page, '37-location');
  far.close();

  const near = await desktop(servers.proxied, { kind: 'login' },
                             { 'User-Agent': 'crossing/1.2', 'X-Forwarded-For': '192.168.1.20' });
  const german = await phone({ locale: 'de-DE' });
  await german.goto(near.order.claimUrl);
  await requestShown(german);
  assert.equal(await german.locator('#requester-ip').textContent(), ' · 192.168.1.20');
  assert.equal(await german.locator('#requester-location').textContent(), 'in Ihrem lokalen Netzwerk');
  assert.equal(await german.locator('#requester-device').textContent(), 'Crossing 1.2');
  await shoot(german, '38-local-network-de');
  checkProblems(page);
  checkProblems(german);
  near.close();
});

// Last: each companion stops on SIGTERM with status 0. Under the sanitizer
// build (scripts/test.sh) that exit is also where LeakSanitizer checks it.
test('every companion stops on SIGTERM with status 0', { skip }, async () => {
  for (const child of children) {
    const exited = child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    assert.equal(child.exitCode, 0,
                 `companion exited with ${child.exitCode ?? child.signalCode}: ${child.stderrText ?? ''}`);
  }
});
