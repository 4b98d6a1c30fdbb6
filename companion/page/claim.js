// The phone side of a Crossing sign-in: claim the order from the QR's link,
// show who asks, check the desktop's number, sign and answer.
// Every value from the server is inserted as text, never as HTML.
'use strict';

(function () {
  const api = document.querySelector('meta[name="crossing-api"]').content;
  const orderId = decodeURIComponent(location.pathname.split('/').pop() || '');
  const claimToken = new URLSearchParams(location.search).get('token') || '';
  const storageKey = 'crossing.challenge.' + orderId;
  const MAX_CODE_TRIES = 3;

  const $ = (id) => document.getElementById(id);
  let envelope = null;
  let challengeToken = null;
  let countdown = 0;
  let codeTries = 0;
  let deviceKey = null;

  function setStatus(text) {
    $('status').textContent = text;
  }

  function show(id) {
    for (const screen of document.querySelectorAll('.screen'))
      screen.hidden = screen.id !== id;
  }

  function result(kind, title, text, retry) {
    clearInterval(countdown);
    $('result-icon').textContent = kind === 'ok' ? '✓' : kind === 'bad' ? '✕' : '!';
    $('result-icon').className = 'result-icon ' + kind;
    $('result-title').textContent = title;
    $('result-text').textContent = text;
    $('retry').hidden = !retry;
    $('retry').onclick = retry || null;
    show('screen-result');
    setStatus(title);
    $('heading').focus();
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || 'HTTP ' + status);
      this.status = status;
      this.code = code;
    }
  }

  async function post(endpoint, body) {
    let response;
    try {
      response = await fetch(api + '/' + endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', 'The connection to the server was lost.');
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const code = data && typeof data.code === 'string' ? data.code : null;
      const message = data && typeof data.message === 'string' ? data.message : null;
      throw new ApiError(response.status, code, message);
    }
    if (!data || typeof data !== 'object')
      throw new ApiError(response.status, 'BAD_ANSWER', 'The server sent an answer this page does not understand.');
    return data;
  }

  function explain(error, retry) {
    switch (error.code) {
      case 'NETWORK':
        return result('warn', 'Connection lost', 'Check your connection and try again.', retry);
      case 'ORDER_EXPIRED':
        return result('bad', 'Request expired', 'This sign-in request has expired. Start a new one on your computer.');
      case 'ALREADY_CLAIMED':
        return result('bad', 'Already scanned', 'Another device has already scanned this code. If that was not you, cancel the sign-in on your computer.');
      case 'INVALID_CLAIM_TOKEN':
      case 'ORDER_NOT_FOUND':
        return result('bad', 'Link not valid', 'This sign-in link is not valid. Scan the code on your computer again.');
      case 'TRANSITION_CONFLICT':
        return result('bad', 'Request ended', 'This sign-in request has already ended.');
      case 'UNABLE_TO_RESOLVE_APPROVED_LOGIN':
        return result('bad', 'Key not allowed', 'This device\u2019s key is not allowed to sign in on this server.');
      default:
        return result('bad', 'Server error', error.message || 'The server answered with an error.', retry);
    }
  }

  // ---- keys ---------------------------------------------------------------

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open('crossing', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('keys');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function dbRequest(mode, action) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction('keys', mode);
      const request = action(tx.objectStore('keys'));
      tx.oncomplete = () => { db.close(); resolve(request.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    });
  }

  async function newDeviceKey() {
    // The private key never leaves WebCrypto: it is not extractable.
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    await dbRequest('readwrite', (store) => store.put(pair, 'device'));
    return pair;
  }

  async function loadDeviceKey() {
    const stored = await dbRequest('readonly', (store) => store.get('device'));
    return stored || newDeviceKey();
  }

  async function showFingerprint() {
    const raw = await crypto.subtle.exportKey('raw', deviceKey.publicKey);
    const digest = await crypto.subtle.digest('SHA-256', raw);
    $('key-fingerprint').textContent = hex(digest).slice(0, 16).match(/.{4}/g).join(' ');
  }

  async function signEd25519(message) {
    const raw = await crypto.subtle.exportKey('raw', deviceKey.publicKey);
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, deviceKey.privateKey,
                                               new TextEncoder().encode(message));
    return { publicKeyHex: hex(raw), signatureHex: hex(signature) };
  }

  // Inside the Nimiq Pay app the wallet signs; it hashes the message with
  // the "Nimiq Signed Message" prefix itself.
  async function signNimiq(message) {
    const nimiq = window.nimiq;
    const signed = await nimiq.sign(message);
    const publicKey = signed.publicKey || signed.publicKeyHex;
    const signature = signed.signature || signed.signatureHex;
    if (typeof publicKey !== 'string' || typeof signature !== 'string')
      throw new Error('The Nimiq wallet did not return a signature.');
    return { publicKeyHex: publicKey, signatureHex: signature };
  }

  // ---- the request ----------------------------------------------------------

  function describeAgent(ua) {
    if (!ua) return 'an unknown program';
    const browsers = [['Firefox', 'Firefox'], ['Edg/', 'Edge'], ['Chrome', 'Chrome'],
                      ['Safari', 'Safari'], ['crossing/', 'the Crossing app'], ['curl', 'curl']];
    const systems = [['Android', 'Android'], ['iPhone', 'iOS'], ['Windows', 'Windows'],
                     ['Mac OS', 'macOS'], ['Linux', 'Linux']];
    const browser = (browsers.find(([k]) => ua.includes(k)) || [null, null])[1];
    const system = (systems.find(([k]) => ua.includes(k)) || [null, null])[1];
    if (browser && system) return browser + ' on ' + system;
    return browser || system || ua.slice(0, 60);
  }

  function tick() {
    const left = Math.max(0, Math.round((envelope.expiresAt - Date.now()) / 1000));
    $('time-left').textContent = Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0');
    if (left <= 0)
      result('bad', 'Request expired', 'This sign-in request has expired. Start a new one on your computer.');
  }

  function showRequest() {
    const display = envelope.display || {};
    const requester = envelope.requester || {};
    $('app-name').textContent = envelope.appName || 'A website';
    $('title').textContent = display.title || '';
    $('summary').textContent = display.summary || '';
    $('origin').textContent = envelope.origin || '';
    $('requester').textContent = describeAgent(requester.userAgent) +
                                 (requester.ip ? ' at ' + requester.ip : '');
    $('check-code-field').hidden = !envelope.checkCodeRequired;
    tick();
    countdown = setInterval(tick, 1000);
    show('screen-request');
    setStatus('Check the request, then approve or reject it.');
    if (envelope.checkCodeRequired) $('check-code').focus();
  }

  async function load() {
    if (!orderId || !claimToken)
      return result('bad', 'Link not valid', 'This sign-in link is incomplete. Scan the code on your computer again.');

    challengeToken = sessionStorage.getItem(storageKey);
    try {
      if (!challengeToken) {
        const claimed = await post('claim', { orderId, claimToken });
        challengeToken = claimed.challengeToken;
        sessionStorage.setItem(storageKey, challengeToken);
      }
      envelope = await post('challenge', { orderId, challengeToken });
    } catch (error) {
      return explain(error, load);
    }

    if (envelope.status === 'approved')
      return result('ok', 'Approved', 'Return to your computer.');

    if (envelope.adapterId === 'nimiq-pay') {
      $('key-fingerprint').textContent = 'your Nimiq wallet';
      $('new-key').hidden = true;
      if (!window.nimiq || typeof window.nimiq.sign !== 'function') {
        $('signer-note').hidden = false;
        $('signer-note').textContent = 'This request must be signed with Nimiq Pay. Open this link inside the Nimiq Pay app.';
        $('approve').disabled = true;
      }
    } else {
      try {
        deviceKey = await loadDeviceKey();
        await showFingerprint();
      } catch (e) {
        return result('bad', 'No device key', 'This browser cannot make a signing key (Ed25519). Try an up-to-date browser.');
      }
    }
    showRequest();
  }

  async function approve(event) {
    event.preventDefault();
    const code = $('check-code').value.trim();
    if (envelope.checkCodeRequired && !/^[0-9]{2}$/.test(code)) {
      $('form-error').textContent = 'Type the two digits shown on your computer.';
      $('form-error').hidden = false;
      $('check-code').focus();
      return;
    }
    $('approve').disabled = $('reject').disabled = true;
    setStatus('Approving…');
    try {
      const proof = envelope.adapterId === 'nimiq-pay' ? await signNimiq(envelope.message)
                                                        : await signEd25519(envelope.message);
      const body = { orderId, challengeToken, proof };
      if (envelope.checkCodeRequired) body.checkCode = code;
      await post('approve', body);
      sessionStorage.removeItem(storageKey);
      result('ok', 'Approved', 'Return to your computer.');
    } catch (error) {
      $('approve').disabled = $('reject').disabled = false;
      if (error.code === 'CHECK_CODE_MISMATCH') {
        codeTries++;
        const left = MAX_CODE_TRIES - codeTries;
        if (left <= 0 || /rejected/.test(error.message))
          return result('bad', 'Request rejected', 'The number was wrong three times, so the request was rejected. Start again on your computer.');
        $('form-error').textContent = 'That number does not match the one on your computer. ' +
                                      left + (left === 1 ? ' try left.' : ' tries left.');
        $('form-error').hidden = false;
        $('check-code').value = '';
        $('check-code').focus();
        setStatus('Wrong number.');
        return;
      }
      explain(error, null);
    }
  }

  async function reject() {
    $('approve').disabled = $('reject').disabled = true;
    try {
      await post('reject', { orderId, challengeToken });
      sessionStorage.removeItem(storageKey);
      result('bad', 'Rejected', 'The sign-in was rejected. Nobody was signed in.');
    } catch (error) {
      $('approve').disabled = $('reject').disabled = false;
      explain(error, null);
    }
  }

  async function replaceKey() {
    try {
      deviceKey = await newDeviceKey();
      await showFingerprint();
      setStatus('A new key was made for this device.');
    } catch (e) {
      setStatus('Could not make a new key.');
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('approve-form').addEventListener('submit', approve);
    $('reject').addEventListener('click', reject);
    $('new-key').addEventListener('click', replaceKey);

    // WebCrypto only exists in a secure context: https, or this machine.
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      return result('warn', 'Secure connection needed',
                    'This page must be opened over https to use your device key. ' +
                    'Ask the administrator to serve the companion with --tls-cert and --tls-key, ' +
                    'or behind an https reverse proxy with --public-url https://…');
    }
    load();
  });
})();
