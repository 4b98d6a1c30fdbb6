/* crossing-protocol.h: wire names shared by the desktop client and the companion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything that appears on the wire as a fixed string (statuses, kinds,
 * adapters, error codes) is named here once, so the two programs cannot drift
 * apart. See ../shared/PROTOCOL.md for the contract itself.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CROSSING_DEFAULT_BASE_PATH       "/api/auth"
#define CROSSING_CROSS_DEVICE_PREFIX     "/cross-device"
#define CROSSING_MOBILE_QR_PREFIX        "/mobile-qr"
#define CROSSING_MOBILE_QR_POLL_COOKIE   "crossing.mobile_qr_poll"
#define CROSSING_NIMIQ_PREFIX            "/nimiq"
#define CROSSING_SESSION_COOKIE          "crossing.session_token"
#define CROSSING_MAX_BODY_SIZE           (16 * 1024)
#define CROSSING_MAX_TITLE_CHARS         120
#define CROSSING_MAX_SUMMARY_CHARS       200
#define CROSSING_MAX_PAYLOAD_HASH_CHARS  128
#define CROSSING_SSE_RETRY_MS            3000

typedef enum {
  CROSSING_STATUS_INVALID = -1,
  CROSSING_STATUS_CREATED = 0,
  CROSSING_STATUS_CLAIMED,
  CROSSING_STATUS_WAITING_USER,
  CROSSING_STATUS_APPROVED,
  CROSSING_STATUS_FINALIZED,
  CROSSING_STATUS_REJECTED,
  CROSSING_STATUS_CANCELLED,
  CROSSING_STATUS_EXPIRED,
} CrossingStatus;

#define CROSSING_N_STATUSES (CROSSING_STATUS_EXPIRED + 1)

const char     *crossing_status_to_string   (CrossingStatus  status);
CrossingStatus  crossing_status_from_string (const char     *str);
gboolean        crossing_status_is_terminal (CrossingStatus  status);

typedef enum {
  CROSSING_KIND_INVALID = -1,
  CROSSING_KIND_LOGIN = 0,
  CROSSING_KIND_SIGN,
  CROSSING_KIND_TRANSACTION,
} CrossingKind;

const char   *crossing_kind_to_string   (CrossingKind  kind);
CrossingKind  crossing_kind_from_string (const char   *str);
/* "login", "signature", "transaction": the noun used in default titles */
const char   *crossing_kind_to_noun     (CrossingKind  kind);

typedef enum {
  CROSSING_ADAPTER_INVALID = -1,
  CROSSING_ADAPTER_ED25519 = 0,
  CROSSING_ADAPTER_NIMIQ_PAY,
  CROSSING_ADAPTER_WEBAUTHN,     /* a passkey: the companion checks it (issue 16) */
} CrossingAdapter;

#define CROSSING_DEFAULT_ADAPTER CROSSING_ADAPTER_ED25519

const char      *crossing_adapter_to_string   (CrossingAdapter  adapter);
CrossingAdapter  crossing_adapter_from_string (const char      *str);
/* TRUE for the adapters whose proof is {publicKeyHex, signatureHex}, an
 * Ed25519 key (ed25519, nimiq-pay): what crossing_proof_verify() checks and
 * crossing_proof_sign() makes. */
gboolean         crossing_adapter_signs_with_key (CrossingAdapter adapter);

/* The error codes of the contract's table. Each has one HTTP status and a
 * default human message. */
typedef enum {
  CROSSING_ERROR_INVALID_REQUEST,
  CROSSING_ERROR_ORDER_EXPIRED,
  CROSSING_ERROR_NOT_READY_TO_APPROVE,
  CROSSING_ERROR_NOT_READY_TO_REJECT,
  CROSSING_ERROR_NOT_READY_TO_CANCEL,
  CROSSING_ERROR_NOT_READY_TO_FINALIZE,
  CROSSING_ERROR_TRANSITION_CONFLICT,      /* 400: the order is terminal */
  CROSSING_ERROR_ORIGIN_MISMATCH,
  CROSSING_ERROR_UNTRUSTED_ORIGIN,
  CROSSING_ERROR_RETURN_TO_NOT_ALLOWED,
  CROSSING_ERROR_UNSUPPORTED_ADAPTER,
  CROSSING_ERROR_CHECK_CODE_MISMATCH,
  CROSSING_ERROR_INVALID_CLAIM_TOKEN,
  CROSSING_ERROR_INVALID_CHALLENGE_TOKEN,
  CROSSING_ERROR_INVALID_DESKTOP_TOKEN,
  CROSSING_ERROR_INVALID_EVENT_TOKEN,
  CROSSING_ERROR_INVALID_PROOF,
  CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN,
  CROSSING_ERROR_INVALID_NONCE,            /* unknown, used or expired: one code */
  CROSSING_ERROR_ORDER_NOT_FOUND,
  CROSSING_ERROR_NOT_FOUND,
  CROSSING_ERROR_METHOD_NOT_ALLOWED,
  CROSSING_ERROR_ALREADY_CLAIMED,
  CROSSING_ERROR_TRANSITION_RACE,          /* 409 TRANSITION_CONFLICT: lost a race */
  CROSSING_ERROR_FINALIZE_ALREADY_USED,
  CROSSING_ERROR_PAYLOAD_TOO_LARGE,
  CROSSING_ERROR_UNSUPPORTED_MEDIA_TYPE,
  CROSSING_ERROR_RATE_LIMITED,
  CROSSING_ERROR_INVALID_POLL_TOKEN,       /* 401: mobile QR, the poll cookie */
  CROSSING_ERROR_INTERNAL,
  CROSSING_ERROR_UNAVAILABLE,              /* 503: the store cannot be reached */
  /* issue 14: user codes, status polling, identified orders */
  CROSSING_ERROR_INVALID_USER_CODE,        /* 400: unknown, used or expired: one code */
  CROSSING_ERROR_SLOW_DOWN,                /* 429: status polled faster than its interval */
  CROSSING_ERROR_SUBJECT_MISMATCH,         /* 403: an identified order, another signer */
  /* The ledger's (PROTOCOL.md, "Ledger"). */
  CROSSING_ERROR_UNAUTHORIZED,             /* 401: no valid session or admin key */
  CROSSING_ERROR_FORBIDDEN,                /* 403: a session without the admin role */
  CROSSING_ERROR_LEDGER_MUTATIONS_DISABLED,
  CROSSING_ERROR_USER_NOT_FOUND,
  CROSSING_ERROR_RESERVATION_NOT_FOUND,
  CROSSING_ERROR_INVALID_AMOUNT,
  CROSSING_ERROR_UNKNOWN_ASSET,
  CROSSING_ERROR_INVALID_CURSOR,
  CROSSING_ERROR_CAPTURE_EXCEEDS_RESERVATION,
  CROSSING_ERROR_INSUFFICIENT_FUNDS,
  CROSSING_ERROR_RESERVATION_NOT_HELD,
  CROSSING_ERROR_RESERVATION_EXPIRED,
  CROSSING_ERROR_RESERVATION_AWAITING_APPROVAL,
  CROSSING_ERROR_BALANCE_LIMIT_EXCEEDED,
  CROSSING_ERROR_IDEMPOTENCY_CONFLICT,     /* 422 */
} CrossingError;

#define CROSSING_N_ERRORS (CROSSING_ERROR_IDEMPOTENCY_CONFLICT + 1)

#define CROSSING_ERROR (crossing_error_quark ())
GQuark        crossing_error_quark          (void);

/* The wire code, e.g. "ORDER_NOT_FOUND"; both TRANSITION_* map to
 * "TRANSITION_CONFLICT". */
const char   *crossing_error_to_code        (CrossingError  error);
guint         crossing_error_to_http_status (CrossingError  error);
const char   *crossing_error_default_message (CrossingError error);
/* Returns -1 when @code is not one of the contract's codes. For
 * "TRANSITION_CONFLICT" the 400 variant is returned. */
int           crossing_error_from_code      (const char    *code);

/* Times on the wire: epoch milliseconds, and ISO-8601 UTC with
 * milliseconds ("2026-11-22T10:00:00.000Z"). */
gint64        crossing_now_ms               (void);
char         *crossing_format_iso8601_ms    (gint64         epoch_ms);

/* TRUE when @str holds no control character (U+0000..U+001F, U+007F) and is
 * valid UTF-8. */
gboolean      crossing_string_is_clean      (const char    *str);

/* The contract's returnTo: a relative path (starts with '/', not "//"),
 * no backslash, no scheme. */
gboolean      crossing_return_to_is_allowed (const char    *value);

/* The one control-character test: U+0000..U+001F and U+007F. Inline: the
 * string checks run it on every byte of every untrusted field. */
static inline gboolean
crossing_unichar_is_control (gunichar c)
{
  return c < 0x20 || c == 0x7f;
}

/* @text made valid UTF-8, each control character a space, cut to
 * @max_chars characters; "" for NULL. For untrusted text we keep or log. */
char         *crossing_string_scrub         (const char    *text,
                                             gsize          max_chars);

G_END_DECLS
