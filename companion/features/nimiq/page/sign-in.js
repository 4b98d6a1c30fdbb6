// The same-browser Nimiq sign-in: fetch a nonce, have the wallet sign its
// message, send the signature to /verify, show who is signed in.
//
// Two wallets: Nimiq Pay injects window.nimiq into the pages it opens; the
// Nimiq Hub is a window at its own origin that we talk to by postMessage
// (the protocol of @nimiq/rpc: "ping" until "pong", then one command). No
// third-party script runs in this page.
'use strict';

(() => {
  const api = (document.querySelector('meta[name="crossing-api"]') || {}).content || '';
  const authBase = api.replace(/\/nimiq$/, '');
  const HUB_URL = 'https://hub.nimiq.com';
  const HUB_ORIGIN = new URL(HUB_URL).origin;
  const HUB_CONNECT_MS = 10000;
  const NIMIQ_WAIT_MS = 1500;

  const $ = (id) => document.getElementById(id);

  function show(screen) {
    for (const id of ['screen-start', 'screen-busy', 'screen-done'])
      $(id).hidden = id !== screen;
    const title = $(screen).querySelector('h1');
    $('status').textContent = title ? title.textContent : '';
    if (title) title.focus();
  }

  function fail(text) {
    show('screen-start');
    $('error').textContent = text;
    $('error').hidden = false;
  }

  async function call(path, body) {
    const init = { method: body === undefined ? 'GET' : 'POST', credentials: 'same-origin',
                   headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && data.message) || 'The server refused the request.');
      error.code = data && data.code;
      throw error;
    }
    return data;
  }

  function hex(bytes) {
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // ---- Nimiq Pay -----------------------------------------------------------

  async function waitForNimiqPay() {
    const deadline = Date.now() + NIMIQ_WAIT_MS;
    while (!(window.nimiq && typeof window.nimiq.sign === 'function') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return window.nimiq && typeof window.nimiq.sign === 'function';
  }

  // sign(message) resolves to { publicKey, signature } in hex, or to
  // { error } when the user declines.
  async function signWithPay(message) {
    const signed = await window.nimiq.sign(message);
    if (!signed || signed.error)
      throw new Error('Nimiq Pay did not sign: ' +
                      ((signed && signed.error && signed.error.message) || 'cancelled'));
    if (typeof signed.publicKey !== 'string' || typeof signed.signature !== 'string')
      throw new Error('Nimiq Pay did not return a signature.');
    return { publicKeyHex: signed.publicKey, signatureHex: signed.signature };
  }

  // ---- the Nimiq Hub -------------------------------------------------------

  function rpcId() {
    return crypto.getRandomValues(new Uint32Array(1))[0] || 2;
  }

  // Resolves with the result of @command once the Hub answers it.
  function hubCall(popup, command, args) {
    return new Promise((resolve, reject) => {
      const id = rpcId();
      let connected = false;
      let pinger = 0;
      let watcher = 0;

      const finish = (fn, value) => {
        window.removeEventListener('message', onMessage);
        clearTimeout(pinger);
        clearInterval(watcher);
        fn(value);
      };

      const onMessage = (event) => {
        if (event.source !== popup || event.origin !== HUB_ORIGIN || !event.data) return;
        const data = event.data;
        if (!connected && data.id === 1 && data.status === 'ok' && data.result === 'pong') {
          connected = true;
          popup.postMessage({ command, args, id }, HUB_ORIGIN);
        } else if (connected && data.id === id) {
          if (data.status === 'ok') finish(resolve, data.result);
          else finish(reject, new Error((data.result && data.result.message) || 'The Hub refused.'));
        }
      };

      const started = Date.now();
      const ping = () => {
        if (connected) return;
        if (Date.now() - started > HUB_CONNECT_MS) {
          finish(reject, new Error('The Nimiq Hub did not answer.'));
          return;
        }
        try {
          popup.postMessage({ command: 'ping', id: 1 }, HUB_ORIGIN);
        } catch (e) {
          // Not loaded yet: the next ping tries again.
        }
        pinger = setTimeout(ping, 500);
      };

      window.addEventListener('message', onMessage);
      watcher = setInterval(() => {
        if (popup.closed) finish(reject, new Error('The Nimiq Hub window was closed.'));
      }, 500);
      ping();
    });
  }

  // The Hub resolves { signer, signerPublicKey, signature }, keys as bytes.
  async function signWithHub(popup, message) {
    const appName = message.split('\n')[0].replace(/ requests sign-in with Nimiq$/, '');
    try {
      const signed = await hubCall(popup, 'sign-message', [{ appName, message }]);
      return {
        publicKeyHex: hex(signed.signerPublicKey),
        signatureHex: hex(signed.signature),
        address: typeof signed.signer === 'string' ? signed.signer : undefined,
      };
    } finally {
      if (!popup.closed) popup.close();
    }
  }

  // ---- the flow ------------------------------------------------------------

  function showUser(user) {
    $('user-name').textContent = user.name || user.subject;
    $('user-subject').textContent = user.subject;
    show('screen-done');
  }

  async function signIn(wallet) {
    // A popup must open in the click itself, before anything is awaited.
    const popup = wallet === 'hub'
      ? window.open(HUB_URL, 'NimiqAccounts', 'width=800,height=850')
      : null;
    if (wallet === 'hub' && !popup)
      return fail('The browser blocked the Nimiq Hub window. Allow pop-ups for this site.');

    $('error').hidden = true;
    show('screen-busy');
    try {
      const issued = await call(api + '/nonce', {});
      const proof = wallet === 'pay' ? await signWithPay(issued.message)
                                     : await signWithHub(popup, issued.message);
      const verified = await call(api + '/verify', Object.assign({ nonceId: issued.nonceId }, proof));
      showUser(verified.user);
    } catch (e) {
      if (popup && !popup.closed) popup.close();
      fail(e.message || String(e));
    }
  }

  async function signOut() {
    try {
      await call(authBase + '/sign-out', {});
    } catch (e) {
      // Signed out or not, the start screen is right.
    }
    show('screen-start');
  }

  async function init() {
    $('sign-hub').addEventListener('click', () => signIn('hub'));
    $('sign-pay').addEventListener('click', () => signIn('pay'));
    $('sign-out').addEventListener('click', signOut);

    try {
      const current = await call(authBase + '/get-session');
      if (current && current.user) return showUser(current.user);
    } catch (e) {
      // No session: sign in below.
    }
    if (await waitForNimiqPay()) {
      $('sign-pay').hidden = false;
      $('sign-hub').classList.remove('primary');
      $('hub-note').hidden = true;
    }
  }

  init();
})();
