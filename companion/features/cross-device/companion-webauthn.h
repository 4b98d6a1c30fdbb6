/* companion-webauthn.h: checking a passkey's answer (the adapter `webauthn`)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * W3C WebAuthn Level 3 §7.1 (registration, `webauthn.create`) and §7.2
 * (authentication, `webauthn.get`), as ../shared/PROTOCOL.md "Passkey
 * approval" orders the checks. CBOR is read with libcbor, keys become
 * libfido2's key types and signatures are checked by fido_assert_verify().
 * No store and no HTTP here: the adapter looks the credential up between
 * companion_webauthn_assertion_new() and companion_webauthn_assertion_verify(),
 * which keeps the contract's order (UV, then "the credential is known", then
 * the signature).
 *
 * Every failure is a COMPANION_WEBAUTHN_ERROR whose code names the check, so
 * the caller can log which one failed (companion_webauthn_check_name()); the
 * messages never quote the data.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* COSE algorithms the contract offers (pubKeyCredParams). */
#define COMPANION_WEBAUTHN_ALG_ES256  (-7)
#define COMPANION_WEBAUTHN_ALG_EDDSA  (-8)
#define COMPANION_WEBAUTHN_ALG_RS256  (-257)

/* Authenticator data flags. */
#define COMPANION_WEBAUTHN_FLAG_UP  0x01
#define COMPANION_WEBAUTHN_FLAG_UV  0x04
#define COMPANION_WEBAUTHN_FLAG_BE  0x08
#define COMPANION_WEBAUTHN_FLAG_BS  0x10
#define COMPANION_WEBAUTHN_FLAG_AT  0x40
#define COMPANION_WEBAUTHN_FLAG_ED  0x80

#define COMPANION_WEBAUTHN_MAX_CREDENTIAL_ID_BYTES 1023

/* The checks, in the contract's order. */
typedef enum {
  COMPANION_WEBAUTHN_ERROR_MALFORMED,          /* not base64url, JSON, CBOR, or the layout */
  COMPANION_WEBAUTHN_ERROR_TYPE,
  COMPANION_WEBAUTHN_ERROR_CHALLENGE,
  COMPANION_WEBAUTHN_ERROR_ORIGIN,
  COMPANION_WEBAUTHN_ERROR_CROSS_ORIGIN,
  COMPANION_WEBAUTHN_ERROR_RP_ID_HASH,
  COMPANION_WEBAUTHN_ERROR_USER_PRESENT,
  COMPANION_WEBAUTHN_ERROR_USER_VERIFIED,
  /* create */
  COMPANION_WEBAUTHN_ERROR_ALGORITHM,
  COMPANION_WEBAUTHN_ERROR_CREDENTIAL_ID,      /* too long, or not the attested one */
  COMPANION_WEBAUTHN_ERROR_ALREADY_REGISTERED, /* raised by the adapter (the store knows) */
  /* get */
  COMPANION_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL, /* raised by the adapter (the store knows) */
  COMPANION_WEBAUTHN_ERROR_SIGNATURE,
  COMPANION_WEBAUTHN_ERROR_SIGN_COUNT,         /* possibly a cloned authenticator */
} CompanionWebauthnError;

#define COMPANION_WEBAUTHN_ERROR (companion_webauthn_error_quark ())
GQuark       companion_webauthn_error_quark (void);

/* "malformed", "type", "challenge", "origin", "cross-origin", "rp-id-hash",
 * "user-present", "user-verified", "algorithm", "credential-id",
 * "already-registered", "unknown-credential", "signature", "sign-count". */
const char  *companion_webauthn_check_name  (CompanionWebauthnError code);

/* What the relying party expects of one order's answer. */
typedef struct {
  const char *rp_id;      /* "crossing.example" */
  const char *origin;     /* "https://crossing.example" */
  const char *challenge;  /* companion_webauthn_challenge_for_message () */
} CompanionWebauthnExpected;

/* base64url (no padding) of SHA-256 of the message's UTF-8 bytes: what the
 * passkey signs, so it signs the same message every adapter signs. */
char        *companion_webauthn_challenge_for_message (const char *message);

/* Strict base64url without padding; NULL (and a MALFORMED error naming
 * @field) for anything else or for empty input. */
GBytes      *companion_webauthn_decode_field (const char  *value,
                                              const char  *field,
                                              GError     **error);
char        *companion_webauthn_encode_field (const guint8 *data,
                                              gsize         len);

/* Authenticator data, §6.1. */
typedef struct {
  guint8   rp_id_hash[32];
  guint8   flags;
  guint32  sign_count;
  /* Attested credential data (flag AT), only in a registration. */
  GBytes  *credential_id;
  GBytes  *public_key_cose;
  int      alg;
} CompanionWebauthnAuthData;

void         companion_webauthn_auth_data_clear (CompanionWebauthnAuthData *auth_data);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CompanionWebauthnAuthData, companion_webauthn_auth_data_clear)

/* Reads the layout only: the flags and the rpIdHash are checked later, in
 * order. With the AT flag, the credential public key must be a COSE key
 * this adapter can use (else ALGORITHM for an unoffered algorithm,
 * MALFORMED for a broken key); extensions (ED) must be one CBOR map; no
 * bytes may follow. */
gboolean     companion_webauthn_parse_auth_data (const guint8               *data,
                                                 gsize                       len,
                                                 CompanionWebauthnAuthData  *out,
                                                 GError                    **error);

/* The attestation object, §6.5: a CBOR map {fmt, attStmt, authData}. The
 * statement is not verified (the page asks for "none"); the format is
 * returned so it can be recorded. */
gboolean     companion_webauthn_parse_attestation_object (const guint8               *data,
                                                          gsize                       len,
                                                          char                      **out_fmt,
                                                          CompanionWebauthnAuthData  *out,
                                                          GError                    **error);

/* A verified registration. */
typedef struct {
  char    *credential_id;     /* base64url, as the proof names it */
  int      alg;
  GBytes  *public_key_cose;
  guint32  sign_count;
  guint8   flags;             /* BE, BS: companion_webauthn_* flags */
  char    *attestation_format;
} CompanionWebauthnRegistration;

void         companion_webauthn_registration_free (CompanionWebauthnRegistration *registration);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionWebauthnRegistration, companion_webauthn_registration_free)

/* A `webauthn.create` proof, every check up to "credential id at most 1023
 * bytes" (and equal to the attested one). Whether it is registered already
 * is the caller's (ALREADY_REGISTERED). */
CompanionWebauthnRegistration *
companion_webauthn_registration_new (const CompanionWebauthnExpected  *expected,
                                     const char                       *credential_id,
                                     const char                       *client_data_json,
                                     const char                       *attestation_object,
                                     GError                          **error);

typedef struct _CompanionWebauthnAssertion CompanionWebauthnAssertion;

/* A `webauthn.get` proof, every check up to UV. */
CompanionWebauthnAssertion *
companion_webauthn_assertion_new    (const CompanionWebauthnExpected  *expected,
                                     const char                       *client_data_json,
                                     const char                       *authenticator_data,
                                     const char                       *signature,
                                     GError                          **error);
void         companion_webauthn_assertion_free (CompanionWebauthnAssertion *assertion);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CompanionWebauthnAssertion, companion_webauthn_assertion_free)

guint8       companion_webauthn_assertion_get_flags      (CompanionWebauthnAssertion *assertion);
guint32      companion_webauthn_assertion_get_sign_count (CompanionWebauthnAssertion *assertion);

/* The rest, for the credential the caller found: the signature over
 * authenticatorData ‖ SHA-256(clientDataJSON) with the stored COSE key
 * (fido_assert_verify), then the sign count: when the stored or the new one
 * is not zero, the new one must be greater. */
gboolean     companion_webauthn_assertion_verify (CompanionWebauthnAssertion  *assertion,
                                                  int                          alg,
                                                  GBytes                      *public_key_cose,
                                                  guint32                      stored_sign_count,
                                                  GError                     **error);

G_END_DECLS
