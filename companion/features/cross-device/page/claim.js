// The phone side of a Crossing approval: claim the order named by the QR's
// link (or by the code typed on the entry screen), show who is asking, check
// the number the computer shows, sign, answer.
//
// Every value that comes from the server or the URL is put on the page with
// textContent, never as HTML. Every word comes from the message catalog the
// companion put into the page, in the language it chose (t() below).
'use strict';

(function () {
  const MAX_CODE_TRIES = 3;         // the companion rejects the order on the third wrong number
  const POLL_MS = 5000;             // how often an open request checks it is still alive
  const NIMIQ_WAIT_MS = 1500;       // Nimiq Pay may inject its provider after the page loads
  const KEEP_CLAIM_MS = 5 * 60000;  // a claim is kept this long past the order's expiry
  const KEEP_OUTCOME_MS = 10 * 60000;
  const DB_NAME = 'crossing';
  const DB_STORE = 'keys';
  const DB_KEY = 'device';
  const RECORD_PREFIX = 'crossing.order.';

  const meta = (name) => (document.querySelector('meta[name="' + name + '"]') || {}).content || '';
  const api = meta('crossing-api');
  const lang = document.documentElement.lang || 'en';
  let messages = {};
  try {
    messages = JSON.parse(meta('crossing-messages')) || {};
  } catch (e) {
    messages = {};
  }

  let orderId = '';
  let claimToken = '';
  if (meta('crossing-screen') === 'claim') {
    orderId = decodeURIComponent(location.pathname.split('/').pop() || '');
    claimToken = new URLSearchParams(location.search).get('token') || '';
  }

  const $ = (id) => document.getElementById(id);

  let envelope = null;
  let challengeToken = null;
  let serverOffset = 0;             // server clock minus ours, when they differ a lot
  let timers = [];
  let busy = false;                 // an approve or reject is on its way
  let finished = false;             // a result screen is showing
  let deviceKey = null;             // { privateKey, publicKey } for the ed25519 adapter
  let announcedSoon = false;
  let codeWaitTimer = null;

  // ---- words ------------------------------------------------------------------

  // The message @name with each {param} filled in.
  function t(name, params = {}) {
    let text = messages[name];
    if (typeof text !== 'string') {
      console.error('missing-message', name);
      return name;
    }
    return text.replace(/\{([a-z_]+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
  }

  // The same into @node, each {param} named in @marked as its own element
  // (a signer in monospace), every part as text.
  function tInto(node, name, params, marked) {
    const parts = t(name, {}).split(/\{([a-z_]+)\}/);
    node.replaceChildren(...parts.map((part, i) => {
      if (i % 2 === 0) return document.createTextNode(part);
      if (marked.includes(part)) return element('span', 'signer', String(params[part]));
      return document.createTextNode(part in params ? String(params[part]) : '{' + part + '}');
    }));
  }

  // English and German say "one" for 1 and "other" for everything else.
  function tn(name, count, params = {}) {
    return t(name + (count === 1 ? '_one' : '_other'), { count, ...params });
  }

  // ---- what this browser remembers of an order ------------------------------
  //
  // localStorage, so that another tab of this browser (a second scan, a
  // reopened link) continues the same claim instead of being refused. The
  // challenge token leaves as soon as the order ends; what remains says only
  // how it ended, and goes too after a few minutes.

  function readRecord(id) {
    try {
      const record = JSON.parse(localStorage.getItem(RECORD_PREFIX + id));
      return record && typeof record === 'object' ? record : {};
    } catch (e) {
      return {};
    }
  }

  function writeRecord(id, changes) {
    try {
      const record = { ...readRecord(id), ...changes };
      for (const key of Object.keys(record))
        if (record[key] === null || record[key] === undefined) delete record[key];
      localStorage.setItem(RECORD_PREFIX + id, JSON.stringify(record));
    } catch (e) {
      // Storage may be switched off; the page then simply cannot resume.
    }
  }

  function sweepRecords() {
    try {
      const now = Date.now();
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const key = localStorage.key(i);
        if (!key || !key.startsWith(RECORD_PREFIX)) continue;
        const record = readRecord(key.slice(RECORD_PREFIX.length));
        if (!(record.keepUntil > now)) localStorage.removeItem(key);
      }
    } catch (e) {
      // as above
    }
  }

  // ---- small helpers ------------------------------------------------------

  function announce(text) {
    // Clearing first makes screen readers repeat an identical message.
    const status = $('status');
    status.textContent = '';
    setTimeout(() => { status.textContent = text; }, 50);
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // The short form of a signer, as on the computer and in the terminal:
  // "ed25519:" and the first 16 hex digits, or the Nimiq address.
  function shortSubject(subject) {
    if (typeof subject !== 'string') return '';
    if (/^ed25519:/i.test(subject)) return subject.slice(0, 'ed25519:'.length + 16).toLowerCase();
    return subject;
  }

  const sameAddress = (a, b) =>
    String(a).replace(/\s+/g, '').toUpperCase() === String(b).replace(/\s+/g, '').toUpperCase();

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

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = [].concat(className).join(' ');
    if (text !== undefined) node.textContent = text;
    return node;
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
    approved: () => result('ok', t('approved_title'), t('approved_text')),
    rejected: () => result('neutral', t('declined_title'), t('declined_text')),
    'code-rejected': () => result('bad', t('code_rejected_title'),
                                  t('code_rejected_text', { tries: MAX_CODE_TRIES })),
  };

  // The order is over for this browser: its token goes, its end stays a while
  // so that a reload or another tab shows the end again.
  function forget(outcome) {
    if (!orderId) return;
    writeRecord(orderId, {
      challengeToken: null, tries: null, outcome: outcome || null,
      keepUntil: outcome ? Date.now() + KEEP_OUTCOME_MS : 0,
    });
    if (!outcome) sweepRecords();
  }

  function finish(outcome) {
    forget(outcome);
    outcomes[outcome]();
  }

  function expired() {
    forget(null);
    result('time', t('expired_title'), t('expired_text'));
  }

  function insecure() {
    const list = element('ul', 'steps');
    const direct = element('li');
    direct.append(t('insecure_direct') + ' ',
                  command('crossing-companion', 'serve', '--tls-cert FILE', '--tls-key FILE'));
    const proxy = element('li');
    proxy.append(t('insecure_proxy') + ' ', command('--public-url https://…'));
    list.append(direct, proxy);
    result('warn', t('insecure_title'), t('insecure_text'), { extra: [list] });
  }

  // ---- talking to the companion -------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message || code || 'HTTP ' + status);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
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
      throw new ApiError(0, 'NETWORK', t('error_network_text'));
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
      const wait = parseInt(response.headers.get('Retry-After') || '', 10);
      throw new ApiError(response.status, code, message, Number.isFinite(wait) ? wait : null);
    }
    if (!data || typeof data !== 'object')
      throw new ApiError(response.status, 'BAD_ANSWER', t('error_bad_answer'));
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
        return result('warn', t('error_network_title'), t('error_network_text'), { retry });
      case 'ORDER_EXPIRED':
        return expired();
      case 'ALREADY_CLAIMED':
        return result('bad', t('already_claimed_title'), t('already_claimed_text'));
      case 'INVALID_CLAIM_TOKEN':
      case 'INVALID_CHALLENGE_TOKEN':
      case 'ORDER_NOT_FOUND':
        forget(null);
        return result('bad', t('bad_link_title'), t('bad_link_text'));
      case 'TRANSITION_CONFLICT':
        forget(null);
        return result('neutral', t('ended_title'), t('ended_text'));
      case 'UNABLE_TO_RESOLVE_APPROVED_LOGIN': {
        const subject = element('p', ['subject', 'mono'], deviceKey && deviceKey.publicHex
          ? 'ed25519:' + deviceKey.publicHex : '');
        return result('bad', t('not_allowed_title'), t('not_allowed_text'),
                      { extra: deviceKey ? [subject] : [] });
      }
      case 'SUBJECT_MISMATCH':
        return result('bad', t('wrong_signer_title'),
                      t('wrong_signer_text', { subject: shortSubject(envelope && envelope.subject) }),
                      { retry });
      case 'RATE_LIMITED':
        return result('warn', t('busy_title'), t('busy_text'), { retry });
      default:
        return result('bad', t('error_title'), error.message || t('error_text'), { retry });
    }
  }

  // ---- keys -----------------------------------------------------------------

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(DB_STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('blocked'));
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
    const publicHex = hex(raw);
    return {
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      publicHex,
      subject: 'ed25519:' + publicHex,
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

  function signingAs() {
    return envelope && envelope.kind !== 'login' ? t('signing_as') : t('signing_in_as');
  }

  function showKey() {
    $('key-label').textContent = signingAs();
    $('key-fingerprint').textContent = shortSubject(deviceKey.subject);
    $('key-fingerprint').title = deviceKey.subject;
    const note = $('signer-note');
    note.hidden = true;
    if (envelope.subject && deviceKey.subject.toLowerCase() !== envelope.subject.toLowerCase()) {
      // The companion would refuse it after the signature; say so before.
      tInto(note, 'key_not_subject', { subject: shortSubject(envelope.subject),
                                       key: shortSubject(deviceKey.subject) }, ['subject', 'key']);
      note.hidden = false;
      block();
    } else if (!deviceKey.kept) {
      note.textContent = t('key_not_kept');
      note.hidden = false;
    }
  }

  // Approving cannot work here: leave only Decline.
  function block() {
    $('approve').dataset.blocked = 'true';
    $('approve').disabled = true;
    $('check-code-field').dataset.blocked = 'true';
    $('check-code-field').hidden = true;
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

  // An identified order in Nimiq Pay: the wallet must hold the subject's
  // account. listAccounts() may ask the user, so it runs on Approve only; a
  // wallet that cannot list its accounts is left to the companion's check.
  async function nimiqHoldsSubject(subject) {
    if (typeof window.nimiq.listAccounts !== 'function') return true;
    let accounts;
    try {
      accounts = await window.nimiq.listAccounts();
    } catch (e) {
      return true;
    }
    if (!Array.isArray(accounts)) return true;
    return accounts.some((a) => sameAddress(typeof a === 'string' ? a : a && a.address, subject));
  }

  // Nimiq Pay's provider: sign(message) resolves to { publicKey, signature }
  // (hex) after the user confirms in the app, and adds the "Nimiq Signed
  // Message" prefix itself. It reports failure by throwing or by resolving
  // to { error: { type, message } }.
  async function signNimiq(message) {
    if (envelope.subject && !(await nimiqHoldsSubject(envelope.subject)))
      throw new SignCancelled(t('nimiq_no_subject', { subject: shortSubject(envelope.subject) }));
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
      throw new Error(t('nimiq_no_signature'));
    return { publicKeyHex: publicKey, signatureHex: signature };
  }

  function nimiqError(e) {
    const text = String((e && (e.type || e.name)) || '') + ' ' + String((e && e.message) || e || '');
    if (/denied|reject|cancel/i.test(text))
      return new SignCancelled(t('nimiq_cancelled'));
    return new Error(t('nimiq_failed', { reason: (e && e.message) || '?' }));
  }

  // ---- the request screen -------------------------------------------------

  function secondsLeft() {
    return Math.max(0, Math.ceil((envelope.expiresAt - (Date.now() + serverOffset)) / 1000));
  }

  function tick() {
    if (finished) return;
    const left = secondsLeft();
    const minutes = Math.floor(left / 60);
    const seconds = left % 60;
    $('time-left').textContent = minutes + ':' + String(seconds).padStart(2, '0');
    $('time-left').setAttribute('aria-label', minutes
      ? tn('minutes', minutes) + ' ' + tn('seconds', seconds) : tn('seconds', seconds));
    const total = Math.max(1, (envelope.expiresAt - envelope.issuedAt) / 1000);
    $('time-meter').style.transform = 'scaleX(' + Math.min(1, left / total) + ')';
    $('time-left').classList.toggle('soon', left <= 20);
    $('time-meter').classList.toggle('soon', left <= 20);
    if (left <= 30 && left > 0 && !announcedSoon) {
      announcedSoon = true;
      announce(tn('seconds_left', left));
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

  // An amount in minor units, as a string of digits, with @scale decimals.
  function formatAmount(amount, scale) {
    const digits = String(amount).trim();
    if (!/^-?[0-9]+$/.test(digits)) return String(amount);
    const negative = digits.startsWith('-');
    let whole = negative ? digits.slice(1) : digits;
    let fraction = '';
    if (scale > 0) {
      whole = whole.padStart(scale + 1, '0');
      fraction = whole.slice(-scale);
      whole = whole.slice(0, -scale);
    }
    const format = new Intl.NumberFormat(lang, { minimumFractionDigits: 1 });
    const parts = format.formatToParts(1000.5);
    const group = (parts.find((p) => p.type === 'group') || { value: '' }).value;
    const decimal = (parts.find((p) => p.type === 'decimal') || { value: '.' }).value;
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
    return (negative ? '−' : '') + grouped + (fraction ? decimal + fraction : '');
  }

  function showAmount(details) {
    const amount = details.amount;
    const shown = amount !== undefined && amount !== null && amount !== '';
    $('amount').hidden = !shown;
    if (!shown) return;
    const scale = Number(details.scale);
    const text = formatAmount(amount, Number.isInteger(scale) && scale >= 0 && scale <= 18 ? scale : 0);
    $('amount').textContent = details.asset ? text + ' ' + details.asset : text;
  }

  // Where the computer that asked is, as far as the companion can tell.
  function place(requester) {
    if (requester.network === 'loopback') return t('location_this_computer');
    if (requester.network === 'private') return t('location_local_network');
    const where = requester.location;
    if (!where || typeof where !== 'object') return null;
    const parts = [where.city, where.countryName || where.country]
      .filter((p) => typeof p === 'string' && p !== '');
    return parts.length ? t('location_approximately', { place: parts.join(', ') }) : null;
  }

  // The custom pairs of the order: every detail the companion did not add itself.
  const BUILT_IN_DETAILS = ['kind', 'orderId', 'summary', 'title', 'subject', 'amount', 'asset',
                            'reservationId', 'scale'];

  function showContext(details) {
    for (const old of document.querySelectorAll('.context-fact')) old.remove();
    const facts = $('facts');
    for (const key of Object.keys(details).sort()) {
      if (BUILT_IN_DETAILS.includes(key) || typeof details[key] !== 'string') continue;
      const row = element('div', ['fact', 'context-fact']);
      row.append(element('dt', 'context-key', key), element('dd', null, details[key]));
      facts.insertBefore(row, $('hash-fact'));
    }
  }

  function showHash() {
    const hash = envelope.payloadHash;
    const shown = typeof hash === 'string' && hash !== '' && envelope.kind !== 'login';
    $('hash-fact').hidden = !shown;
    if (!shown) return;
    const button = $('payload-hash');
    const short = hash.length > 20 ? hash.slice(0, 8) + '…' + hash.slice(-8) : hash;
    const render = (open) => {
      button.textContent = open ? hash : short;
      button.setAttribute('aria-expanded', String(open));
      button.setAttribute('aria-label', open ? t('hash_hide') : t('hash_show', { hash: short }));
    };
    render(false);
    button.onclick = () => render(button.getAttribute('aria-expanded') !== 'true');
  }

  function showRequest() {
    const display = envelope.display || {};
    const requester = envelope.requester || {};
    const details = envelope.details && typeof envelope.details === 'object' ? envelope.details : {};
    const appName = envelope.appName || t('unknown_app');
    const eyebrows = {
      sign: t('eyebrow_sign', { app: appName }),
      transaction: t('eyebrow_transaction', { app: appName }),
    };
    $('eyebrow').textContent = eyebrows[envelope.kind] || t('eyebrow_login', { app: appName });
    $('title').textContent = display.title || '';
    showAmount(details);
    $('summary').textContent = display.summary || '';
    $('summary').hidden = !display.summary;
    $('origin').textContent = envelope.origin || '';
    $('requester-device').textContent = requester.device || t('unknown_device');
    $('requester-ip').textContent = requester.ip ? ' · ' + requester.ip : '';
    const where = place(requester);
    $('location-fact').hidden = !where;
    $('requester-location').textContent = where || '';
    $('estimate-note').hidden = !where && !requester.device;
    showContext(details);
    showHash();
    $('subject-note').hidden = !envelope.subject;
    if (envelope.subject)
      tInto($('subject-note'), 'only_subject', { subject: shortSubject(envelope.subject) }, ['subject']);
    // Without a signer the number has nothing to confirm: leave only Decline.
    $('check-code-field').hidden = !envelope.checkCodeRequired ||
                                   $('check-code-field').dataset.blocked === 'true';
    $('check-code').required = !!envelope.checkCodeRequired;

    const tries = Number(readRecord(orderId).tries) || 0;
    if (tries > 0) showCodeError(tries);

    stopTimers();
    announcedSoon = false;
    tick();
    timers.push(setInterval(tick, 1000), setInterval(poll, POLL_MS));
    show('screen-request', 'title');
    announce(t('request_announce'));
  }

  function showCodeError(tries) {
    const left = MAX_CODE_TRIES - tries;
    const error = $('check-code-error');
    error.textContent = t('check_code_wrong') + ' ' +
      (left === 1 ? t('check_code_last_try') : tn('check_code_tries_left', left));
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
    $('approve').textContent = value && label ? label : t('approve');
    $('approve-form').setAttribute('aria-busy', value ? 'true' : 'false');
  }

  async function prepareSigner() {
    $('approve').dataset.blocked = 'false';
    $('check-code-field').dataset.blocked = 'false';
    $('signer-note').hidden = true;
    if (envelope.adapterId === 'nimiq-pay') {
      $('key-box').hidden = true;
      const nimiq = await waitForNimiq();
      if (!nimiq) {
        block();
        $('signer-note').hidden = false;
        $('signer-note').textContent = t('nimiq_missing');
      }
      return;
    }
    if (envelope.adapterId !== 'ed25519')
      throw new ApiError(0, 'UNSUPPORTED', t('unsupported_adapter', { adapter: envelope.adapterId }));
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

  // Another tab of this browser may have claimed the order a moment ago.
  async function claimOfOtherTab() {
    for (let i = 0; i < 3; i++) {
      const token = readRecord(orderId).challengeToken;
      if (token) return token;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return null;
  }

  async function claim() {
    try {
      const claimed = await post('claim', { orderId, claimToken });
      return claimed.challengeToken;
    } catch (error) {
      if (error.code !== 'ALREADY_CLAIMED') throw error;
      const token = await claimOfOtherTab();
      if (!token) throw error;
      return token;
    }
  }

  async function load() {
    show('screen-loading', 'loading-title');
    formError('');

    const record = readRecord(orderId);
    if (record.outcome && outcomes[record.outcome]) return outcomes[record.outcome]();

    challengeToken = record.challengeToken || null;
    if (!orderId || (!claimToken && !challengeToken))
      return result('bad', t('bad_link_title'), t('bad_link_incomplete'));

    try {
      if (!challengeToken) {
        challengeToken = await claim();
        writeRecord(orderId, { challengeToken, keepUntil: Date.now() + KEEP_CLAIM_MS });
        // The claim token is spent: keep it out of the address bar and history.
        history.replaceState(null, '', location.pathname);
      }
      envelope = await post('challenge', { orderId, challengeToken });
      if (typeof envelope.expiresAt === 'number')
        writeRecord(orderId, { keepUntil: envelope.expiresAt + KEEP_CLAIM_MS });
      await prepareSigner();
    } catch (error) {
      if (error.code === 'NOT_READY_TO_APPROVE') return finish('approved');   // approved earlier
      if (error.code === 'INSECURE') return insecure();
      if (error.code === 'NO_ED25519') return result('bad', t('no_ed25519_title'), t('no_ed25519_text'));
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
      formError(t('check_code_missing'));
      input.focus();
      return;
    }

    setBusy(true, t('approving'));
    announce(t('approving'));
    let proof;
    try {
      proof = envelope.adapterId === 'nimiq-pay' ? await signNimiq(envelope.message)
                                                   : await signEd25519(envelope.message);
    } catch (e) {
      setBusy(false);
      formError(e.message || t('sign_failed'));
      announce(e.message || t('sign_failed'));
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
    const tries = (Number(readRecord(orderId).tries) || 0) + 1;
    writeRecord(orderId, { tries });
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
    announce(t('declining'));
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
      setBusy(false);
      showKey();
      toggleNewKey(false);
      announce(t('new_key_made', { key: shortSubject(deviceKey.subject) }));
    } catch (e) {
      announce(t('new_key_failed'));
    } finally {
      $('new-key-yes').disabled = false;
    }
  }

  // ---- the entry screen for a typed code ----------------------------------

  function codeError(text) {
    $('user-code-error').textContent = text;
    $('user-code-error').hidden = !text;
    $('user-code').setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  // 429: the companion says how long to wait; the button counts it down.
  // The message is said once (it is an alert), not every second.
  function codeWait(seconds) {
    clearInterval(codeWaitTimer);
    const wait = Math.max(1, seconds);
    const until = Date.now() + wait * 1000;
    codeError(tn('code_rate_limited', wait));
    const update = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(codeWaitTimer);
        codeWaitTimer = null;
        $('code-continue').disabled = false;
        $('code-continue').textContent = t('code_continue');
        codeError(t('code_wait_over'));
        return;
      }
      $('code-continue').disabled = true;
      $('code-continue').textContent = t('code_wait_button', { count: left });
    };
    update();
    codeWaitTimer = setInterval(update, 1000);
  }

  async function submitCode(event) {
    event.preventDefault();
    if (busy || codeWaitTimer) return;
    const input = $('user-code');
    // The companion normalizes case, spaces and dashes itself.
    const userCode = input.value.trim();
    if (!userCode) {
      codeError(t('code_empty'));
      input.focus();
      return;
    }
    codeError('');
    busy = true;
    $('code-continue').disabled = true;
    $('code-continue').textContent = t('code_checking');
    announce(t('code_checking'));
    let claimed;
    try {
      claimed = await post('claim-by-code', { userCode });
    } catch (error) {
      busy = false;
      $('code-continue').disabled = false;
      $('code-continue').textContent = t('code_continue');
      if (error.code === 'INVALID_USER_CODE') codeError(t('code_wrong'));
      else if (error.code === 'INVALID_REQUEST') codeError(t('code_malformed'));
      else if (error.status === 429) codeWait(error.retryAfter || 60);
      else if (error.code === 'NETWORK') codeError(t('error_network_text'));
      else codeError(error.message || t('error_text'));
      input.focus();
      announce($('user-code-error').textContent);
      return;
    }
    busy = false;
    if (typeof claimed.orderId !== 'string' || typeof claimed.challengeToken !== 'string') {
      codeError(t('error_bad_answer'));
      return;
    }
    // From here on exactly as after a scan: the claim link's address, so a
    // reload or another tab continues it.
    orderId = claimed.orderId;
    writeRecord(orderId, { challengeToken: claimed.challengeToken, keepUntil: Date.now() + KEEP_CLAIM_MS });
    history.replaceState(null, '', 'claim/' + encodeURIComponent(orderId));
    load();
  }

  function showCodeEntry() {
    const given = new URLSearchParams(location.search).get('user_code');
    // Only fills the field: a link previewer opening this must claim nothing.
    if (given) $('user-code').value = given.slice(0, 32);
    show('screen-code', 'code-title');
    $('user-code').focus({ preventScroll: true });
  }

  function start() {
    $('approve-form').addEventListener('submit', approve);
    $('reject').addEventListener('click', reject);
    $('code-form').addEventListener('submit', submitCode);
    $('user-code').addEventListener('input', () => { if (!codeWaitTimer) codeError(''); });
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
    // Another tab of this browser ended the order: show the end here too.
    window.addEventListener('storage', (event) => {
      if (!orderId || event.key !== RECORD_PREFIX + orderId || finished || busy) return;
      const outcome = readRecord(orderId).outcome;
      if (outcome && outcomes[outcome]) outcomes[outcome]();
    });

    sweepRecords();
    // WebCrypto exists only in a secure context: https, or this very machine.
    // Inside Nimiq Pay the wallet signs, so the page can go on without it.
    const canSign = window.isSecureContext && window.crypto && crypto.subtle;
    if (!canSign && !window.nimiq && !window.nimiqPay) return insecure();
    if (meta('crossing-screen') === 'code') return showCodeEntry();
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
