// Makes the fixed vectors that test-webauthn.c reads (vectors.json), once:
//
//   cd tests/webauthn && npm ci --no-audit --no-fund && npm run vectors
//
// A software authenticator (node's crypto: P-256, Ed25519, RSA-2048) answers
// navigator.credentials.create() and .get() as a phone would for the
// contract's challenge (base64url of SHA-256 of the signed message); every
// case is then checked with @simplewebauthn/server, the maintained
// implementation the contract follows. A good case must pass it; a tampered
// case that it also checks must fail it, so the expected results in the file
// are not ours alone. Each tampered case changes one field and, where there
// is a signature, signs again, so that exactly one check of the contract's
// order fails.
import crypto from 'node:crypto';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const RP_ID = 'crossing.example';
const ORIGIN = 'https://crossing.example';
const MESSAGE = [
  'Crossing requests cross-device approval',
  'Action: auth.login',
  `Origin: ${ORIGIN}`,
  'Challenge ID: 4f6c7b1e-9a0d-4f7e-8a55-2b9f7c1d3e21',
  'Nonce: Jq3xT0y7m4VbA6kR2sWn9uZ8cE1dF5gH',
  'Issued At: 2026-12-07T10:00:00.000Z',
  'Expires At: 2026-12-07T10:02:00.000Z',
  'Request ID: Y2QzZjA4ZTctNWJkYi00',
  'Resource: /',
  'kind: login',
  'orderId: Y2QzZjA4ZTctNWJkYi00',
  'summary: Approve login for Crossing.',
  'title: Crossing login',
].join('\n');
const OTHER_MESSAGE = MESSAGE.replace('Nonce: Jq3x', 'Nonce: Zz3x');

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();
const challengeFor = (message) => b64url(sha256(Buffer.from(message, 'utf8')));

function u32 (value) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

function u16 (value) {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

// The authenticator's keys, one per algorithm the contract offers.
function makeKey (alg) {
  if (alg === -7) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map([[1, 2], [3, -7], [-1, 1],
      [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]);
    return { alg, privateKey, cose, sign: (data) => crypto.sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }) };
  }
  if (alg === -8) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map([[1, 1], [3, -8], [-1, 6], [-2, Buffer.from(jwk.x, 'base64url')]]);
    return { alg, privateKey, cose, sign: (data) => crypto.sign(null, data, privateKey) };
  }
  if (alg === -257) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map([[1, 3], [3, -257],
      [-1, Buffer.from(jwk.n, 'base64url')], [-2, Buffer.from(jwk.e, 'base64url')]]);
    return { alg, privateKey, cose, sign: (data) => crypto.sign('sha256', data, privateKey) };
  }
  if (alg === -35) {
    // ES384: a real algorithm the contract does not offer.
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map([[1, 2], [3, -35], [-1, 2],
      [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]);
    return { alg, privateKey, cose, sign: (data) => crypto.sign('sha384', data, { key: privateKey, dsaEncoding: 'der' }) };
  }
  throw new Error(`no key for ${alg}`);
}

function clientData ({ type, message = MESSAGE, origin = ORIGIN, crossOrigin, extra = {} }) {
  const data = { type, challenge: challengeFor(message), origin };
  if (crossOrigin !== undefined) data.crossOrigin = crossOrigin;
  return Buffer.from(JSON.stringify({ ...data, ...extra }), 'utf8');
}

function authData ({ rpId = RP_ID, flags, signCount, attested }) {
  const parts = [sha256(Buffer.from(rpId, 'utf8')), Buffer.from([flags]), u32(signCount)];
  if (attested) {
    parts.push(Buffer.alloc(16), u16(attested.id.length), attested.id,
      Buffer.from(isoCBOR.encode(attested.key.cose)));
  }
  return Buffer.concat(parts);
}

// navigator.credentials.create() with attestation "none".
function create ({ key, id, flags, signCount = 0, rpId, type = 'webauthn.create', message, origin, crossOrigin = false, transports }) {
  const data = authData({ rpId, flags: flags | FLAG_AT, signCount, attested: { id, key } });
  const attestationObject = Buffer.from(isoCBOR.encode(new Map([
    ['fmt', 'none'], ['attStmt', new Map()], ['authData', data]])));
  return {
    type: 'webauthn.create',
    credentialId: b64url(id),
    clientDataJSON: b64url(clientData({ type, message, origin, crossOrigin })),
    attestationObject: b64url(attestationObject),
    transports,
  };
}

// navigator.credentials.get() for a credential made by create().
function get ({ key, id, flags, signCount, rpId, type = 'webauthn.get', message, origin, crossOrigin, breakSignature = false }) {
  const data = authData({ rpId, flags, signCount });
  const client = clientData({ type, message, origin, crossOrigin });
  const signature = key.sign(Buffer.concat([data, sha256(client)]));
  if (breakSignature) signature[signature.length - 8] ^= 0x01;
  return {
    type: 'webauthn.get',
    credentialId: b64url(id),
    clientDataJSON: b64url(client),
    authenticatorData: b64url(data),
    signature: b64url(signature),
    userHandle: b64url(Buffer.from('0123456789abcdef')),
  };
}

async function simplewebauthnSays (vector, stored) {
  const options = {
    expectedChallenge: challengeFor(MESSAGE),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: true,
  };
  const proof = vector.proof;
  try {
    let result;
    if (vector.ceremony === 'create') {
      result = await verifyRegistrationResponse({
        ...options,
        supportedAlgorithmIDs: [-8, -7, -257],
        response: {
          id: proof.credentialId,
          rawId: proof.credentialId,
          type: 'public-key',
          clientExtensionResults: {},
          response: { clientDataJSON: proof.clientDataJSON, attestationObject: proof.attestationObject, transports: proof.transports },
        },
      });
    } else {
      result = await verifyAuthenticationResponse({
        ...options,
        credential: {
          id: stored.credentialId,
          publicKey: Buffer.from(stored.publicKeyCose, 'base64url'),
          counter: stored.signCount,
        },
        response: {
          id: proof.credentialId,
          rawId: proof.credentialId,
          type: 'public-key',
          clientExtensionResults: {},
          response: {
            clientDataJSON: proof.clientDataJSON,
            authenticatorData: proof.authenticatorData,
            signature: proof.signature,
            userHandle: proof.userHandle,
          },
        },
      });
    }
    return result.verified ? 'accepted' : 'refused: not verified';
  } catch (error) {
    return `refused: ${error.message}`;
  }
}

const vectors = [];
const credentials = {};

const synced = FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS;
const deviceBound = FLAG_UP | FLAG_UV;
const eligible = FLAG_UP | FLAG_UV | FLAG_BE;

// The good registrations; the get cases below use them.
for (const [name, alg, flags, signCount, transports] of [
  ['es256', -7, synced, 0, ['hybrid', 'internal']],
  ['eddsa', -8, deviceBound, 7, ['internal']],
  ['rs256', -257, eligible, 0, ['usb']],
]) {
  const key = makeKey(alg);
  const id = crypto.randomBytes(name === 'eddsa' ? 64 : 32);
  const proof = create({ key, id, flags, signCount, transports });
  credentials[name] = {
    key, id, flags, signCount,
    stored: {
      credentialId: b64url(id),
      alg,
      publicKeyCose: b64url(isoCBOR.encode(key.cose)),
      signCount,
      backupEligible: (flags & FLAG_BE) !== 0,
      backupState: (flags & FLAG_BS) !== 0,
    },
  };
  vectors.push({ name: `${name}/create/good`, ceremony: 'create', proof, expect: 'ok',
    registered: credentials[name].stored });
}

const es = credentials.es256;
const creates = [
  ['type', { type: 'webauthn.get' }],
  ['challenge', { message: OTHER_MESSAGE }],
  ['origin', { origin: 'https://crossing.example.evil' }],
  ['cross-origin', { crossOrigin: true }],
  ['rp-id-hash', { rpId: 'evil.example' }],
  ['user-present', { flags: FLAG_UV }],
  ['user-verified', { flags: FLAG_UP }],
  ['algorithm', { key: makeKey(-35) }],
  ['credential-id', { id: crypto.randomBytes(1024) }],
];
for (const [check, change] of creates) {
  const proof = create({ key: es.key, id: crypto.randomBytes(32), flags: synced, ...change });
  vectors.push({ name: `es256/create/${check}`, ceremony: 'create', proof, expect: check });
}

// The good assertions: the sign count grows (or stays zero on both sides,
// as synced passkeys do).
for (const name of ['es256', 'eddsa', 'rs256']) {
  const cred = credentials[name];
  const signCount = cred.signCount === 0 ? 0 : cred.signCount + 1;
  vectors.push({ name: `${name}/get/good`, ceremony: 'get', credential: name,
    proof: get({ key: cred.key, id: cred.id, flags: cred.flags, signCount }),
    expect: 'ok', newSignCount: signCount });
  vectors.push({ name: `${name}/get/signature`, ceremony: 'get', credential: name,
    proof: get({ key: cred.key, id: cred.id, flags: cred.flags, signCount: signCount, breakSignature: true }),
    expect: 'signature' });
}

const ed = credentials.eddsa;
const gets = [
  ['type', { type: 'webauthn.create' }],
  ['challenge', { message: OTHER_MESSAGE }],
  ['origin', { origin: 'http://crossing.example' }],
  ['cross-origin', { crossOrigin: true }],
  ['rp-id-hash', { rpId: 'crossing.example.evil' }],
  ['user-present', { flags: FLAG_UV }],
  ['user-verified', { flags: FLAG_UP }],
];
for (const [check, change] of gets) {
  vectors.push({ name: `eddsa/get/${check}`, ceremony: 'get', credential: 'eddsa',
    proof: get({ key: ed.key, id: ed.id, flags: deviceBound, signCount: ed.signCount + 1, ...change }),
    expect: check });
}
// A replay: the same count as stored, which is not zero.
vectors.push({ name: 'eddsa/get/sign-count', ceremony: 'get', credential: 'eddsa',
  proof: get({ key: ed.key, id: ed.id, flags: deviceBound, signCount: ed.signCount }),
  expect: 'sign-count' });
// A count that went backwards.
vectors.push({ name: 'eddsa/get/sign-count-lower', ceremony: 'get', credential: 'eddsa',
  proof: get({ key: ed.key, id: ed.id, flags: deviceBound, signCount: ed.signCount - 1 }),
  expect: 'sign-count' });
// A credential nobody registered, signing well.
const stranger = { key: makeKey(-7), id: crypto.randomBytes(32) };
vectors.push({ name: 'es256/get/unknown-credential', ceremony: 'get', credential: null,
  proof: get({ key: stranger.key, id: stranger.id, flags: synced, signCount: 0 }),
  expect: 'unknown-credential' });
// The right credential id with a key that is not the registered one.
vectors.push({ name: 'es256/get/other-key', ceremony: 'get', credential: 'es256',
  proof: get({ key: stranger.key, id: es.id, flags: synced, signCount: 0 }),
  expect: 'signature' });

for (const vector of vectors) {
  const stored = vector.credential ? credentials[vector.credential].stored : null;
  if (vector.ceremony === 'get' && stored === null) {
    vector.simplewebauthn = 'not asked: the companion finds no credential to give it';
    continue;
  }
  vector.simplewebauthn = await simplewebauthnSays(vector, stored);
  const accepted = vector.simplewebauthn === 'accepted';
  // Checks the library does not make: crossOrigin (it leaves it to the
  // caller) and the credential id's length.
  const unchecked = ['cross-origin', 'credential-id'].includes(vector.expect);
  if ((vector.expect === 'ok') !== accepted && !unchecked) {
    throw new Error(`${vector.name}: @simplewebauthn/server says ${vector.simplewebauthn}`);
  }
  if (unchecked) vector.simplewebauthn = `${vector.simplewebauthn} (it does not check this)`;
}

process.stdout.write(JSON.stringify({
  description: 'Made by make-vectors.mjs; checked with @simplewebauthn/server 13.3.3',
  rpId: RP_ID,
  origin: ORIGIN,
  message: MESSAGE,
  credentials: Object.fromEntries(Object.entries(credentials).map(([name, cred]) => [name, cred.stored])),
  vectors,
}, null, 2) + '\n');
