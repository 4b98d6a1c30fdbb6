// phone.js: the mobile-QR phone page
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Reads the challenge named by the URL (/qr/phone/{challengeId}), shows who
// asks, signs its message (inside Nimiq Pay with window.nimiq, otherwise
// with this device's WebCrypto Ed25519 key, non-extractable, in IndexedDB)
// and completes. The phone never receives a session token.
'use strict';

(() => {
  const api = document.querySelector('meta[name="crossing-api"]').content;
  const challengeId = decodeURIComponent(location.pathname.split('/').pop() || '');
  const DB_NAME = 'crossing-device-key';
  const DB_STORE = 'keys';
  const DB_KEY = 'device';
  let envelope = null;

  const $ = (id) => document.getElementById(id);

  function show(id) {
    for (const screen of document.querySelectorAll('.screen'))
      screen.hidden = screen.id !== id;
    const heading = document.querySelector('#' + id + ' h1');
    if (heading) heading.focus();
  }

  function result(title, text) {
    $('result-title').textContent = title;
    $('result-text').textContent = text;
    $('status').textContent = title;
    show('screen-result');
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function call(method, path, body) {
    let response;
    try {
      response = await fetch(api + path, {
        method,
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw { code: 'NETWORK', message: 'The server could not be reached.' };
    }
    const data = await response.json().catch(() => null);
    if (!response.ok)
      throw { code: data && data.code, message: (data && data.message) || 'HTTP ' + response.status };
    return data;
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(DB_STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function dbRun(mode, action) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(DB_STORE, mode);
        const request = action(tx.objectStore(DB_STORE));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  async function deviceKey() {
    const stored = await dbRun('readonly', (s) => s.get(DB_KEY)).catch(() => null);
    if (stored && stored.privateKey && stored.publicKey) return stored;
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    await dbRun('readwrite', (s) => s.put(pair, DB_KEY)).catch(() => null);
    return pair;
  }

  async function sign(message) {
    if (envelope.providerId === 'nimiq-pay') {
      if (!window.nimiq || typeof window.nimiq.sign !== 'function')
        throw { message: 'Open this link in the Nimiq Pay app to sign in.' };
      const signed = await window.nimiq.sign(message);
      if (!signed || signed.error)
        throw { message: 'Nimiq Pay did not sign: ' + ((signed && signed.error && signed.error.message) || 'cancelled') };
      return { publicKeyHex: signed.publicKey, signatureHex: signed.signature };
    }
    const key = await deviceKey();
    const raw = await crypto.subtle.exportKey('raw', key.publicKey);
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey,
                                               new TextEncoder().encode(message));
    return { publicKeyHex: hex(raw), signatureHex: hex(signature) };
  }

  function countdown() {
    const left = Math.max(0, Math.round((envelope.expiresAt - Date.now()) / 1000));
    $('countdown').textContent = left + ' s';
    if (left === 0) return result('This sign-in has expired', 'Start again on the computer.');
    setTimeout(countdown, 1000);
  }

  async function approve() {
    $('approve').disabled = true;
    try {
      const proof = await sign(envelope.message);
      const body = { challengeId, providerId: envelope.providerId, ...proof };
      if (envelope.checkCodeRequired) body.checkCode = $('check-code').value.trim();
      await call('POST', '/complete', body);
      result('You are signed in', 'Go back to the computer: it continues by itself.');
    } catch (e) {
      $('approve').disabled = false;
      if (e && e.code === 'CHECK_CODE_MISMATCH') return ($('status').textContent = e.message);
      result('Could not sign in', (e && e.message) || String(e));
    }
  }

  async function main() {
    try {
      envelope = await call('GET', '/challenge/' + encodeURIComponent(challengeId));
    } catch (e) {
      if (e.code === 'ORDER_NOT_FOUND')
        return result('This link does not work', 'Scan the code on the computer again.');
      if (e.code === 'ORDER_EXPIRED')
        return result('This sign-in has expired', 'Start again on the computer.');
      return result('This sign-in has ended', e.message);
    }
    if (envelope.status === 'approved')
      return result('You are signed in', 'Go back to the computer.');
    $('title').textContent = envelope.display.title;
    $('summary').textContent = envelope.display.summary;
    $('origin').textContent = envelope.origin;
    $('requester').textContent = envelope.requester.userAgent || envelope.requester.ip || '';
    $('code-field').hidden = !envelope.checkCodeRequired;
    $('approve').addEventListener('click', approve);
    show('screen-request');
    countdown();
  }

  main();
})();
