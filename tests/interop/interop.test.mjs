// The companion against other people's code: the stock Better Auth client
// (better-auth/client) and keys made by @nimiq/core. The client part:
// every sign-in flow's session must read back through authClient.getSession()
// and end through authClient.signOut(), unchanged. Real companions on
// loopback; the phone is played here with node's own Ed25519.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let createAuthClient = null;
try {
  ({ createAuthClient } = await import('better-auth/client'));
} catch (e) {
  createAuthClient = null;
}

const companionPath = process.env.CROSSING_COMPANION;
const skip = !createAuthClient ? 'better-auth is not installed: run `npm ci` in tests/interop'
  : !companionPath ? 'CROSSING_COMPANION is not set' : false;
const tmp = mkdtempSync(join(tmpdir(), 'crossing-interop-'));
const children = [];
let base;

function startCompanion(extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(companionPath, ['serve', '--listen', '127.0.0.1:0',
                                        '--db', join(tmp, 'companion.sqlite'), ...extra],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`companion did not start: ${err}`)), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/crossing-companion listening on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`companion exited ${code}: ${err}`)); });
  });
}

before(async () => {
  if (!skip)
    base = await startCompanion(['--check-code', 'off']);
});

after(() => {
  for (const child of children)
    child.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});

async function call(method, path, body, headers = {}) {
  const response = await fetch(base + '/api/auth' + path, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { response, json: await response.json() };
}

const phoneKey = generateKeyPairSync('ed25519');
const publicKeyHex = phoneKey.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');

function signEd25519(message, key = phoneKey.privateKey) {
  return sign(null, Buffer.from(message, 'utf8'), key).toString('hex');
}

// The contract's Nimiq key: Ed25519 over SHA-256 of the prefixed message.
const nimiqKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'),
                      Buffer.from('682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e', 'hex')]),
  format: 'der', type: 'pkcs8',
});
const nimiqPublicKeyHex = '0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980';

function signNimiq(message) {
  const bytes = Buffer.from(message, 'utf8');
  const prefixed = Buffer.concat([Buffer.from(`\x16Nimiq Signed Message:\n${bytes.length}`, 'utf8'), bytes]);
  return sign(null, createHash('sha256').update(prefixed).digest(), nimiqKey).toString('hex');
}

// What every sign-in answers, read back by the stock client.
async function assertStockClientSession(token, subject) {
  const client = createAuthClient({ baseURL: base, fetchOptions: { auth: { type: 'Bearer', token } } });
  const { data, error } = await client.getSession();

  assert.equal(error, null);
  assert.ok(data.session.expiresAt instanceof Date, 'expiresAt parses as a Date');
  assert.ok(data.session.createdAt instanceof Date);
  assert.ok(data.user.createdAt instanceof Date);
  assert.ok(data.session.expiresAt > new Date());
  assert.equal(typeof data.user.name, 'string');
  assert.ok(data.user.name.length > 0);
  assert.equal(data.user.email, null);
  assert.equal(data.user.emailVerified, false);
  assert.equal(data.user.image, null);
  assert.equal(data.user.role, 'user');
  assert.equal(data.user.subject, subject);
  assert.equal(data.session.userId, data.user.id);
  assert.equal(data.session.ipAddress, '127.0.0.1');

  const out = await client.signOut();
  assert.equal(out.error, null);
  assert.equal(out.data.success, true);
  const again = await client.getSession();
  assert.equal(again.error, null);
  assert.equal(again.data, null);
}

test('a cross-device login session reads back through the stock client', { skip }, async () => {
  const { json: order } = await call('POST', '/cross-device/start', { kind: 'login' });
  const claimToken = new URL(order.claimUrl).searchParams.get('token');
  const { json: claim } = await call('POST', '/cross-device/claim', { orderId: order.orderId, claimToken });
  const { json: envelope } = await call('POST', '/cross-device/challenge',
                                        { orderId: order.orderId, challengeToken: claim.challengeToken });
  const { response: approved } = await call('POST', '/cross-device/approve', {
    orderId: order.orderId, challengeToken: claim.challengeToken,
    proof: { publicKeyHex, signatureHex: signEd25519(envelope.message) },
  });
  assert.equal(approved.status, 200);
  const { response, json: finalized } = await call('POST', '/cross-device/finalize',
                                                   { orderId: order.orderId, desktopToken: order.desktopToken });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('set-auth-token'), finalized.token);
  await assertStockClientSession(finalized.token, `ed25519:${publicKeyHex}`);
});

test('a Nimiq direct sign-in session reads back through the stock client', { skip }, async () => {
  const { json: nonce } = await call('POST', '/nimiq/nonce', {});
  const { response, json: verified } = await call('POST', '/nimiq/verify', {
    nonceId: nonce.nonceId, publicKeyHex: nimiqPublicKeyHex, signatureHex: signNimiq(nonce.message),
  });
  assert.equal(response.status, 200);
  assert.equal(verified.ok, true);
  assert.equal(response.headers.get('set-auth-token'), verified.token);
  await assertStockClientSession(verified.token, 'NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U');
});

test('a mobile-QR sign-in session reads back through the stock client', { skip }, async () => {
  const { response: started, json: start } = await call('POST', '/mobile-qr/start', { providerId: 'ed25519' });
  assert.equal(started.status, 200);
  const poll = started.headers.get('set-cookie').split(';')[0];
  assert.match(poll, /^crossing\.mobile_qr_poll=/);

  const { json: envelope } = await call('GET', `/mobile-qr/challenge/${start.challengeId}`);
  const { json: completed } = await call('POST', '/mobile-qr/complete', {
    challengeId: start.challengeId, providerId: 'ed25519',
    publicKeyHex, signatureHex: signEd25519(envelope.message),
  });
  assert.equal(completed.status, 'approved');
  assert.equal(completed.token, undefined);

  const { response, json: status } = await call('GET', `/mobile-qr/status?challengeId=${start.challengeId}`,
                                                undefined, { Cookie: poll });
  assert.equal(status.status, 'approved');
  assert.equal(response.headers.get('set-auth-token'), status.token);
  await assertStockClientSession(status.token, `ed25519:${publicKeyHex}`);
});

// ---- real Nimiq keys -----------------------------------------------------------

let Nimiq = null;
try {
  Nimiq = await import('@nimiq/core');
} catch (e) {
  Nimiq = null;
}
const skipNimiq = skip || (!Nimiq ? '@nimiq/core is not installed: run `npm ci` in tests/interop' : false);

// As Keyguard's signMessage: Ed25519 over SHA-256 of the prefixed UTF-8 text.
function nimiqCoreSign(keyPair, message) {
  const text = new TextEncoder().encode(message);
  const prefix = new TextEncoder().encode(`\x16Nimiq Signed Message:\n${text.length}`);
  const data = new Uint8Array(prefix.length + text.length);
  data.set(prefix);
  data.set(text, prefix.length);
  return keyPair.sign(Nimiq.Hash.computeSha256(data)).toHex();
}

test('@nimiq/core reproduces the contract vector the companion checks against', { skip: skipNimiq }, () => {
  const keyPair = Nimiq.KeyPair.derive(Nimiq.PrivateKey.fromHex(
    '682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e'));
  assert.equal(keyPair.toAddress().toUserFriendlyAddress(), 'NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U');
  assert.equal(nimiqCoreSign(keyPair, 'hello'),
               'ffe7b8e83832b6be7fced7c930d2529e2978e79b22ee52fca061b5f1e1e4ca2d' +
               '3a266f5ec87c2b5f27be90e59cfc7af6ea11e4782bcf3a2e6d3313654f1d4e0f');
});

test('a new @nimiq/core key signs in on both Nimiq flows as one user', { skip: skipNimiq }, async () => {
  const keyPair = Nimiq.KeyPair.generate();
  const address = keyPair.toAddress().toUserFriendlyAddress();
  const publicKeyHex = keyPair.publicKey.toHex();

  const { json: nonce } = await call('POST', '/nimiq/nonce', {});
  const { response, json: verified } = await call('POST', '/nimiq/verify', {
    nonceId: nonce.nonceId, publicKeyHex, signatureHex: nimiqCoreSign(keyPair, nonce.message),
    address: address.replace(/ /g, ''),
  });
  assert.equal(response.status, 200, JSON.stringify(verified));
  assert.equal(verified.user.subject, address);

  const { response: started, json: start } = await call('POST', '/mobile-qr/start', { providerId: 'nimiq-pay' });
  const poll = started.headers.get('set-cookie').split(';')[0];
  const { json: envelope } = await call('GET', `/mobile-qr/challenge/${start.challengeId}`);
  const { json: completed } = await call('POST', '/mobile-qr/complete', {
    challengeId: start.challengeId, providerId: 'nimiq-pay', publicKeyHex,
    signatureHex: nimiqCoreSign(keyPair, envelope.message), address,
  });
  assert.equal(completed.status, 'approved', JSON.stringify(completed));
  const { json: status } = await call('GET', `/mobile-qr/status?challengeId=${start.challengeId}`,
                                      undefined, { Cookie: poll });
  assert.equal(status.user.subject, address);
  assert.equal(status.user.id, verified.user.id, 'the same user from either flow');
});
