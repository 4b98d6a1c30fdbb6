// Browser tests of the phone page: Debian's chromium driven by playwright-core,
// a mobile viewport, a companion on loopback, and the desktop played over
// HTTP and SSE by the test itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const companionPath = process.env.CROSSING_COMPANION;
const shots = process.env.CROSSING_SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'crossing-shots-'));
mkdirSync(shots, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'crossing-page-'));
const servers = [];
let browser;

function startCompanion(name, ttl) {
  return new Promise((resolve, reject) => {
    const child = spawn(companionPath, ['serve', '--listen', '127.0.0.1:0',
                                        '--db', join(tmp, name + '.db'), '--order-ttl', String(ttl)],
                        { stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error('companion did not start')), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => reject(new Error('companion exited ' + code)));
  });
}

// The desktop: start an order and follow its events.
async function desktop(server, body = { kind: 'login' }) {
  const api = server + '/api/auth/cross-device';
  const response = await fetch(api + '/start', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 200);
  const order = await response.json();
  const events = [];
  const waiters = [];
  const controller = new AbortController();
  const stream = await fetch(`${api}/events?orderId=${order.orderId}&eventToken=${order.eventToken}`,
                             { signal: controller.signal });
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of stream.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = (frame.match(/^event: (.*)$/m) || [])[1];
          const data = (frame.match(/^data: (.*)$/m) || [])[1];
          if (type) {
            events.push({ type, data: JSON.parse(data) });
            waiters.splice(0).forEach((w) => w());
          }
        }
      }
    } catch (e) { /* aborted */ }
  })();
  const waitFor = async (type, ms = 10000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => e.type === type);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} event; saw ${events.map((e) => e.type)}`);
      await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
    }
  };
  const finalize = () => fetch(api + '/finalize', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ orderId: order.orderId, desktopToken: order.desktopToken }),
  });
  return { order, events, waitFor, finalize, close: () => controller.abort() };
}

async function phone() {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  page.on('dialog', () => { throw new Error('the page opened a dialog'); });
  return page;
}

const screenshot = (page, name) => page.screenshot({ path: join(shots, name + '.png'), fullPage: true });

let server;
let shortServer;

before(async () => {
  server = await startCompanion('main', 120);
  shortServer = await startCompanion('short', 3);
  browser = await chromium.launch({
    executablePath: process.env.CROSSING_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           // A name that is not "potentially trustworthy", for the insecure case.
           '--host-resolver-rules=MAP crossing.test 127.0.0.1'],
  });
});

after(async () => {
  await browser?.close();
  for (const child of servers) child.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});

test('approve: the desktop sees approved and finalize gives a session', async () => {
  const d = await desktop(server);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  assert.match(await page.locator('#key-fingerprint').textContent(), /^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
  assert.match(await page.locator('#requester').textContent(), /127\.0\.0\.1/);
  await screenshot(page, 'request');
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await page.locator('#result-title', { hasText: 'Approved' }).waitFor();
  assert.equal(await page.locator('#retry').isVisible(), false);
  await screenshot(page, 'approved');
  await d.waitFor('approved');
  const finalized = await d.finalize();
  assert.equal(finalized.status, 200);
  assert.ok((await finalized.json()).token);
  d.close();
});

test('reject: the desktop sees rejected', async () => {
  const d = await desktop(server);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  await page.click('#reject');
  await page.locator('#result-title', { hasText: 'Rejected' }).waitFor();
  await screenshot(page, 'rejected');
  await d.waitFor('rejected');
  d.close();
});

test('a second device is told the code was already scanned', async () => {
  const d = await desktop(server);
  const first = await phone();
  await first.goto(d.order.claimUrl);
  await first.locator('#screen-request').waitFor();
  const second = await phone();
  await second.goto(d.order.claimUrl);
  await second.locator('#result-title', { hasText: 'Already scanned' }).waitFor();
  await screenshot(second, 'already-claimed');
  d.close();
});

test('a reload mid-flow continues instead of failing', async () => {
  const d = await desktop(server);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  await page.reload();
  await page.locator('#screen-request').waitFor();
  const claimed = await d.waitFor('claimed');
  await page.fill('#check-code', claimed.data.checkCode);
  await page.click('#approve');
  await page.locator('#result-title', { hasText: 'Approved' }).waitFor();
  d.close();
});

test('a wrong check code three times rejects the order', async () => {
  const d = await desktop(server);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  const claimed = await d.waitFor('claimed');
  const wrong = claimed.data.checkCode === '10' ? '11' : '10';
  for (const left of ['2 tries left', '1 try left']) {
    await page.fill('#check-code', wrong);
    await page.click('#approve');
    await page.locator('#form-error', { hasText: left }).waitFor();
  }
  await screenshot(page, 'wrong-code');
  await page.fill('#check-code', wrong);
  await page.click('#approve');
  await page.locator('#result-title', { hasText: 'Request rejected' }).waitFor();
  await d.waitFor('rejected');
  d.close();
});

test('a title with markup is shown as text', async () => {
  const title = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const d = await desktop(server, { kind: 'sign', displayTitle: title });
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  assert.equal(await page.locator('#title').textContent(), title);
  assert.equal(await page.locator('#title img').count(), 0);
  await screenshot(page, 'markup-title');
  d.close();
});

test('expiry while the page is open', async () => {
  const d = await desktop(shortServer);
  const page = await phone();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  await page.locator('#result-title', { hasText: 'Request expired' }).waitFor({ timeout: 10000 });
  await screenshot(page, 'expired');
  await d.waitFor('expired');
  d.close();
});

test('over plain http from another host the page explains https', async () => {
  const d = await desktop(server);
  const page = await phone();
  const insecure = d.order.claimUrl.replace('127.0.0.1', 'crossing.test');
  await page.goto(insecure);
  await page.locator('#result-title', { hasText: 'Secure connection needed' }).waitFor();
  assert.match(await page.locator('#result-text').textContent(), /--tls-cert/);
  await screenshot(page, 'insecure');
  // Nothing was claimed: the desktop can still be served by a real phone.
  assert.equal(d.events.length, 0);
  d.close();
});

test('dark mode at desktop width', async () => {
  const d = await desktop(server);
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 }, colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(d.order.claimUrl);
  await page.locator('#screen-request').waitFor();
  await screenshot(page, 'request-dark-desktop');
  d.close();
});
