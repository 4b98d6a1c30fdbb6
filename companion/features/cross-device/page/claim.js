// The phone side of a Crossing approval: claim the order named by the QR's
// link, show who is asking, check the code the computer shows, sign, answer.
//
// Every value that comes from the server or the URL is put on the page with
// textContent, never as HTML.
'use strict';

(function () {
  const MAX_CODE_TRIES = 3;         // the companion rejects the order on the third wrong code
  const POLL_MS = 5000;             // how often an open request checks it is still alive
  const NIMIQ_WAIT_MS = 1500;       // Nimiq Pay may inject its provider after the page loads
  const DB_NAME = 'crossing';
  const DB_STORE = 'keys';
  const DB_KEY = 'device';

  const api = (document.querySelector('meta[name="crossing-api"]') || {}).content || '';
  const orderId = decodeURIComponent(location.pathname.split('/').pop() || '');
  const claimToken = new URLSearchParams(location.search).get('token') || '';
  const store = {
    challenge: 'crossing.challenge.' + orderId,
    tries: 'crossing.tries.' + orderId,
    outcome: 'crossing.outcome.' + orderId,
  };

  const $ = (id) => document.getElementById(id);

  let envelope = null;
  let challengeToken = null;
  let serverOffset = 0;             // server clock minus ours, when they differ a lot
  let timers = [];
  let busy = false;                 // an approve or reject is on its way
  let finished = false;             // a result screen is showing
  let deviceKey = null;             // { privateKey, publicKey } for the ed25519 adapter
  let announcedSoon = false;

  // ---- small helpers ------------------------------------------------------

  function session(key, value) {
    try {
      if (value === undefined) return sessionStorage.getItem(key);
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, String(value));
    } catch (e) {
      // Storage may be switched off; the page then simply cannot resume.
    }
    return null;
  }

  function announce(text) {
    // Clearing first makes screen readers repeat an identical message.
    const status = $('status');
    status.textContent = '';
    setTimeout(() => { status.textContent = text; }, 50);
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function stopTimers() {
    for (const id of timers) clearInterval(id);
    timers = [];
  }

  function show(screenId, focusId) {
    for (const screen of document.querySelectorAll('.screen'))
      screen.hidden = screen.id !== screenId;
    window.scrollTo(0, 0);
    if (focusId) $(focusId).focus({ preventScroll: true });
  }

  function nouns() {
    switch (envelope && envelope.kind) {
      case 'sign': return { request: 'signature request', done: 'signed' };
      case 'transaction': return { request: 'transaction', done: 'approved' };
      default: return { request: 'sign-in', done: 'signed in' };
    }
  }

  // ---- result screens -----------------------------------------------------

  // kind: ok | bad | neutral | warn | time. extra: DOM nodes shown under the text.
  function result(kind, title, text, options = {}) {
    finished = true;
    stopTimers();
    const icon = $('result-icon');
    icon.className = 'result-icon ' + kind;
    const glyph = kind === 'neutral' ? 'bad' : kind;
    // SVG elements have no hidden property: set the attribute itself.
    for (const svg of icon.querySelectorAll('svg'))
      svg.toggleAttribute('hidden', svg.id !== 'icon-' + glyph);
    $('result-title').textContent = title;
    $('result-text').textContent = text;
    const extra = $('result-extra');
    extra.replaceChildren(...(options.extra || []));
    const retry = $('retry');
    retry.hidden = !options.retry;
    retry.onclick = options.retry ? () => { finished = false; options.retry(); } : null;
    show('screen-result', 'result-title');
    announce(title + '. ' + text);
    if (options.outcome) session(store.outcome, options.outcome);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A command line that wraps between its words, never inside "--tls-cert".
  function command(...words) {
    const code = element('code');
    words.forEach((word, i) => {
      if (i > 0) code.append(' ');
      code.append(element('span', 'word', word));
    });
    return code;
  }

  const outcomes = {
    approved: () => result('ok', 'Approved',
      'Return to your computer. It will finish on its own.'),
    rejected: () => result('neutral', 'Rejected',
      'Nothing was approved. You can close this page.'),
    'code-rejected': () => result('bad', 'Request rejected',
      'The code was wrong ' + MAX_CODE_TRIES + ' times, so the request was rejected to keep you ' +
      'safe. If it was you, start again on your computer.'),
  };

  function finish(outcome) {
    if (outcome === 'approved' || outcome === 'rejected' || outcome === 'code-rejected') {
      // A reload after the end shows the end again instead of "already claimed".
      session(store.outcome, outcome);
      session(store.tries, null);
    }
    outcomes[outcome]();
  }

  function expired() {
    result('time', 'This request has expired',
      'Nothing was approved. To try again, start over on your computer and scan the new code.');
  }

  function insecure() {
    const list = element('ul', 'steps');
    const direct = element('li');
    direct.append('Serve https itself: ',
                  command('crossing-companion', 'serve', '--tls-cert FILE', '--tls-key FILE'));
    const proxy = element('li');
    proxy.append('Or put an https reverse proxy in front and start it with ',
                 command('--public-url https://…'));
    list.append(direct, proxy);
    result('warn', 'A secure connection is needed',
      'This page was opened over plain http, so the browser does not let it use a signing key. ' +
      'Whoever runs the Crossing companion can fix this:',
      { extra: [list] });
  }

  // ---- talking to the companion -------------------------------------------

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
        referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const code = data && typeof data.code === 'string' ? data.code : 'HTTP_' + response.status;
      const message = data && typeof data.message === 'string' ? data.message : null;
      throw new ApiError(response.status, code, message);
    }
    if (!data || typeof data !== 'object')
      throw new ApiError(response.status, 'BAD_ANSWER', 'The server sent an answer this page does not understand.');
    const date = Date.parse(response.headers.get('Date') || '');
    if (!Number.isNaN(date)) {
      const offset = date - Date.now();
      // The Date header has whole seconds; only a clearly wrong phone clock counts.
      serverOffset = Math.abs(offset) > 2000 ? offset : 0;
    }
    return data;
  }

  // Turns an error into the screen that explains it. @retry, when given, is
  // offered where trying again can help.
  function explain(error, retry) {
    switch (error.code) {
      case 'NETWORK':
        return result('warn', 'Connection lost',
          'The server could not be reached. Check that your phone is online, then try again.',
          { retry });
      case 'ORDER_EXPIRED':
        return expired();
      case 'ALREADY_CLAIMED':
        return result('bad', 'Already opened on another device',
          'Another phone scanned this code first. If that was not you, cancel on your computer ' +
          'and start again.');
      case 'INVALID_CLAIM_TOKEN':
      case 'INVALID_CHALLENGE_TOKEN':
      case 'ORDER_NOT_FOUND':
        session(store.challenge, null);
        return result('bad', 'This link does not work',
          'It may be incomplete or from an old code. Scan the code on your computer again.');
      case 'TRANSITION_CONFLICT':
        return result('neutral', 'This request has ended',
          'It was cancelled on the computer, or it is already finished. Nothing more to do here.');
      case 'UNABLE_TO_RESOLVE_APPROVED_LOGIN': {
        const subject = element('p', 'subject mono', deviceKey && deviceKey.publicHex
          ? 'ed25519:' + deviceKey.publicHex : '');
        return result('bad', 'This key may not sign in',
          'This server only lets in keys that its administrator has added. Ask them to add the ' +
          'key of this device:', { extra: deviceKey ? [subject] : [] });
      }
      case 'RATE_LIMITED':
        return result('warn', 'The server is busy',
          'Wait a moment, then try again.', { retry });
      default:
        return result('bad', 'Something went wrong',
          error.message || 'The server answered with an error.', { retry });
    }
  }

  // ---- keys -----------------------------------------------------------------

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(DB_STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('The key store is in use by another tab.'));
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
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  async function describeKey(pair) {
    const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
    const digest = await crypto.subtle.digest('SHA-256', raw);
    return {
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      publicHex: hex(raw),
      // The first 8 bytes of SHA-256, as four groups: easy to compare by eye.
      fingerprint: hex(digest.slice(0, 8)).match(/.{4}/g).join(' '),
      kept: pair.kept !== false,
    };
  }

  // The private key is made non-extractable: no script, this one included,
  // can ever read it; IndexedDB keeps the CryptoKey object itself.
  async function makeKey() {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    try {
      await dbRun('readwrite', (s) => s.put({ privateKey: pair.privateKey, publicKey: pair.publicKey }, DB_KEY));
    } catch (e) {
      // Private browsing may refuse storage: the key then lasts for this page only.
      return describeKey({ privateKey: pair.privateKey, publicKey: pair.publicKey, kept: false });
    }
    return describeKey(pair);
  }

  async function loadKey() {
    let stored = null;
    try {
      stored = await dbRun('readonly', (s) => s.get(DB_KEY));
    } catch (e) {
      stored = null;
    }
    if (stored && stored.privateKey && stored.publicKey)
      return describeKey(stored);
    return makeKey();
  }

  function showKey() {
    $('key-label').textContent = 'Key of this device';
    $('key-fingerprint').textContent = deviceKey.fingerprint;
    if (!deviceKey.kept) {
      $('signer-note').hidden = false;
      $('signer-note').textContent = 'This browser does not keep keys, so this device gets a ' +
        'new key every time. Use a normal (not private) window to keep one.';
    }
  }

  async function signEd25519(message) {
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, deviceKey.privateKey,
                                               new TextEncoder().encode(message));
    return { publicKeyHex: deviceKey.publicHex, signatureHex: hex(signature) };
  }

  async function waitForNimiq() {
    const deadline = Date.now() + NIMIQ_WAIT_MS;
    while (!(window.nimiq && typeof window.nimiq.sign === 'function') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return window.nimiq && typeof window.nimiq.sign === 'function' ? window.nimiq : null;
  }

  class SignCancelled extends Error {}

  // Nimiq Pay's provider: sign(message) resolves to { publicKey, signature }
  // (hex) after the user confirms in the app, and adds the "Nimiq Signed
  // Message" prefix itself. It reports failure by throwing or by resolving
  // to { error: { type, message } }.
  async function signNimiq(message) {
    let signed;
    try {
      signed = await window.nimiq.sign(message);
    } catch (e) {
      throw nimiqError(e);
    }
    if (signed && signed.error) throw nimiqError(signed.error);
    const publicKey = signed && (signed.publicKey || signed.publicKeyHex);
    const signature = signed && (signed.signature || signed.signatureHex);
    if (typeof publicKey !== 'string' || typeof signature !== 'string')
      throw new Error('Nimiq Pay did not return a signature.');
    return { publicKeyHex: publicKey, signatureHex: signature };
  }

  function nimiqError(e) {
    const text = String((e && (e.type || e.name)) || '') + ' ' + String((e && e.message) || e || '');
    if (/denied|reject|cancel/i.test(text))
      return new SignCancelled('Signing was cancelled in Nimiq Pay.');
    return new Error('Nimiq Pay could not sign: ' + ((e && e.message) || 'unknown error'));
  }

  // ---- the request screen -------------------------------------------------

  // "Firefox on Linux" from a User-Agent header; the raw text as a last resort.
  function describeAgent(ua) {
    if (!ua) return 'An unknown program';
    if (/^crossing\//i.test(ua)) return 'The Crossing desktop app';
    const browsers = [
      [/Edg(e|A|iOS)?\//, 'Edge'], [/OPR\//, 'Opera'], [/SamsungBrowser\//, 'Samsung Internet'],
      [/Epiphany\//, 'GNOME Web'], [/Firefox\/|FxiOS\//, 'Firefox'], [/Chromium\//, 'Chromium'],
      [/Chrome\/|CriOS\//, 'Chrome'], [/Version\/[\d.]+.*Safari\//, 'Safari'],
      [/^curl\//, 'curl'], [/^node$|undici/i, 'Node.js'], [/libsoup\//, 'A GNOME app'],
    ];
    const systems = [
      [/Android/, 'Android'], [/iPhone|iPad|iPod/, 'iOS'], [/CrOS/, 'ChromeOS'],
      [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'], [/FreeBSD/, 'FreeBSD'],
      [/Linux|X11/, 'Linux'],
    ];
    const browser = (browsers.find(([re]) => re.test(ua)) || [])[1];
    const system = (systems.find(([re]) => re.test(ua)) || [])[1];
    if (browser && system) return browser + ' on ' + system;
    if (browser) return browser;
    if (system) return 'A program on ' + system;
    return ua.length > 48 ? ua.slice(0, 47) + '…' : ua;
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((envelope.expiresAt - (Date.now() + serverOffset)) / 1000));
  }

  function tick() {
    if (finished) return;
    const left = secondsLeft();
    const minutes = Math.floor(left / 60);
    const seconds = left % 60;
    $('time-left').textContent = minutes + ':' + String(seconds).padStart(2, '0');
    $('time-left').setAttribute('aria-label',
      (minutes ? minutes + (minutes === 1 ? ' minute ' : ' minutes ') : '') +
      seconds + (seconds === 1 ? ' second' : ' seconds'));
    const total = Math.max(1, (envelope.expiresAt - envelope.issuedAt) / 1000);
    $('time-meter').style.transform = 'scaleX(' + Math.min(1, left / total) + ')';
    $('time-left').classList.toggle('soon', left <= 20);
    $('time-meter').classList.toggle('soon', left <= 20);
    if (left <= 30 && left > 0 && !announcedSoon) {
      announcedSoon = true;
      announce(left + ' seconds left to answer.');
    }
    if (left <= 0) expired();
  }

  // While the request is open, notice at once when the computer cancels it.
  async function poll() {
    if (finished || busy || document.hidden) return;
    try {
      const fresh = await post('challenge', { orderId, challengeToken });
      if (!finished && !busy && typeof fresh.expiresAt === 'number')
        envelope.expiresAt = fresh.expiresAt;
    } catch (error) {
      if (finished || busy || error.code === 'NETWORK') return;   // the next tick tries again
      if (error.code === 'NOT_READY_TO_APPROVE') return finish('approved');
      explain(error, load);
    }
  }

  function showRequest() {
    const display = envelope.display || {};
    const requester = envelope.requester || {};
    const appName = envelope.appName || 'A website';
    const eyebrows = {
      sign: appName + ' asks for your signature',
      transaction: appName + ' asks you to approve a transaction',
    };
    $('eyebrow').textContent = eyebrows[envelope.kind] || appName + ' wants to sign you in';
    $('title').textContent = display.title || '';
    $('summary').textContent = display.summary || '';
    $('summary').hidden = !display.summary;
    $('origin').textContent = envelope.origin || '';
    $('requester-agent').textContent = describeAgent(requester.userAgent);
    $('requester-ip').textContent = requester.ip ? ' · ' + requester.ip : '';
    // Without a signer the code has nothing to confirm: leave only Reject.
    $('check-code-field').hidden = !envelope.checkCodeRequired ||
                                   $('check-code-field').dataset.blocked === 'true';
    $('check-code').required = !!envelope.checkCodeRequired;

    const tries = Number(session(store.tries)) || 0;
    if (tries > 0) showCodeError(tries);

    stopTimers();
    announcedSoon = false;
    tick();
    timers.push(setInterval(tick, 1000), setInterval(poll, POLL_MS));
    show('screen-request', 'title');
    announce('Check the request, then approve or reject it.');
  }

  function showCodeError(tries) {
    const left = MAX_CODE_TRIES - tries;
    const error = $('check-code-error');
    error.textContent = 'That code does not match the one on your computer. ' +
      (left === 1 ? 'One try left: a wrong code now rejects the request.' : left + ' tries left.');
    error.hidden = false;
    $('check-code').setAttribute('aria-invalid', 'true');
  }

  function formError(text) {
    $('form-error').textContent = text;
    $('form-error').hidden = !text;
  }

  function setBusy(value, label) {
    busy = value;
    $('approve').disabled = value || $('approve').dataset.blocked === 'true';
    $('reject').disabled = value;
    $('approve').textContent = value && label ? label : 'Approve';
    $('approve-form').setAttribute('aria-busy', value ? 'true' : 'false');
  }

  async function prepareSigner() {
    $('approve').dataset.blocked = 'false';
    $('check-code-field').dataset.blocked = 'false';
    if (envelope.adapterId === 'nimiq-pay') {
      $('key-box').hidden = true;
      const nimiq = await waitForNimiq();
      if (!nimiq) {
        $('approve').dataset.blocked = 'true';
        $('approve').disabled = true;
        $('check-code-field').dataset.blocked = 'true';
        $('signer-note').hidden = false;
        $('signer-note').textContent = 'This request must be signed with a Nimiq wallet, and this ' +
          'browser has none. Open Nimiq Pay, scan the code on your computer from there, and ' +
          'approve it in the app. You can still reject it here.';
      }
      return;
    }
    if (envelope.adapterId !== 'ed25519')
      throw new ApiError(0, 'UNSUPPORTED', 'This page cannot sign for "' + envelope.adapterId + '".');
    if (!window.isSecureContext) throw new ApiError(0, 'INSECURE', '');
    $('key-box').hidden = false;
    try {
      deviceKey = await loadKey();
    } catch (e) {
      throw new ApiError(0, 'NO_ED25519', '');
    }
    showKey();
  }

  // ---- the flow -------------------------------------------------------------

  async function load() {
    show('screen-loading', 'loading-title');
    formError('');

    const outcome = session(store.outcome);
    if (outcome && outcomes[outcome]) return outcomes[outcome]();

    challengeToken = session(store.challenge);
    if (!orderId || (!claimToken && !challengeToken))
      return result('bad', 'This link does not work',
        'It is missing part of the code. Scan the code on your computer again.');

    try {
      if (!challengeToken) {
        const claimed = await post('claim', { orderId, claimToken });
        challengeToken = claimed.challengeToken;
        session(store.challenge, challengeToken);
        // The claim token is spent: keep it out of the address bar and history.
        history.replaceState(null, '', location.pathname);
      }
      envelope = await post('challenge', { orderId, challengeToken });
      await prepareSigner();
    } catch (error) {
      if (error.code === 'NOT_READY_TO_APPROVE') return finish('approved');   // approved earlier
      if (error.code === 'INSECURE') return insecure();
      if (error.code === 'NO_ED25519')
        return result('bad', 'This browser cannot sign',
          'It does not offer Ed25519 keys (WebCrypto). Update the browser, or open the link in ' +
          'another one.');
      return explain(error, load);
    }
    setBusy(false);
    showRequest();
  }

  async function approve(event) {
    event.preventDefault();
    if (busy || finished) return;
    formError('');
    const input = $('check-code');
    const code = input.value.trim();
    if (envelope.checkCodeRequired && !/^[0-9]{2}$/.test(code)) {
      formError('Type the two digits shown on your computer.');
      input.focus();
      return;
    }

    setBusy(true, 'Approving…');
    announce('Approving…');
    let proof;
    try {
      proof = envelope.adapterId === 'nimiq-pay' ? await signNimiq(envelope.message)
                                                   : await signEd25519(envelope.message);
    } catch (e) {
      setBusy(false);
      formError(e.message || 'Signing failed.');
      announce(e.message || 'Signing failed.');
      return;
    }

    const body = { orderId, challengeToken, proof };
    if (envelope.checkCodeRequired) body.checkCode = code;
    try {
      await post('approve', body);
    } catch (error) {
      setBusy(false);
      if (error.code === 'CHECK_CODE_MISMATCH') return wrongCode(error);
      if (error.code === 'NOT_READY_TO_APPROVE') return finish('approved');
      return explain(error, load);
    }
    finish('approved');
  }

  function wrongCode(error) {
    const tries = (Number(session(store.tries)) || 0) + 1;
    session(store.tries, tries);
    if (tries >= MAX_CODE_TRIES || /rejected/i.test(error.message))
      return finish('code-rejected');
    const input = $('check-code');
    input.value = '';
    showCodeError(tries);
    input.focus();
    announce($('check-code-error').textContent);
  }

  async function reject() {
    if (busy || finished) return;
    formError('');
    setBusy(true);
    announce('Rejecting…');
    try {
      await post('reject', { orderId, challengeToken });
    } catch (error) {
      setBusy(false);
      return explain(error, load);
    }
    finish('rejected');
  }

  function toggleNewKey(open) {
    $('new-key-confirm').hidden = !open;
    $('new-key').setAttribute('aria-expanded', String(open));
    if (open) $('new-key-yes').focus();
    else $('new-key').focus();
  }

  async function replaceKey() {
    $('new-key-yes').disabled = true;
    try {
      deviceKey = await makeKey();
      showKey();
      toggleNewKey(false);
      announce('This device now has a new key, ' + deviceKey.fingerprint + '.');
    } catch (e) {
      announce('A new key could not be made.');
    } finally {
      $('new-key-yes').disabled = false;
    }
  }

  function start() {
    $('approve-form').addEventListener('submit', approve);
    $('reject').addEventListener('click', reject);
    $('new-key').addEventListener('click', () => toggleNewKey($('new-key-confirm').hidden));
    $('new-key-no').addEventListener('click', () => toggleNewKey(false));
    $('new-key-yes').addEventListener('click', replaceKey);
    $('check-code').addEventListener('input', (event) => {
      // Number pads on some phones insert spaces or other digits' forms.
      const digits = event.target.value.replace(/[^0-9]/g, '').slice(0, 2);
      if (digits !== event.target.value) event.target.value = digits;
      formError('');
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && envelope && !finished) { tick(); poll(); }
    });

    // WebCrypto exists only in a secure context: https, or this very machine.
    // Inside Nimiq Pay the wallet signs, so the page can go on without it.
    const canSign = window.isSecureContext && window.crypto && crypto.subtle;
    if (!canSign && !window.nimiq && !window.nimiqPay) return insecure();
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
