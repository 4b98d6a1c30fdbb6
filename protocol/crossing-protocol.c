/* crossing-protocol.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "crossing-protocol"

#include "config.h"

#include <string.h>

#include "crossing-protocol.h"

static const char *status_names[CROSSING_N_STATUSES] = {
  "created", "claimed", "waiting_user", "approved", "finalized", "rejected", "cancelled",
  "expired",
};

static const char *kind_names[] = { "login", "sign", "transaction" };
static const char *kind_nouns[] = { "login", "signature", "transaction" };
static const char *adapter_names[] = { "ed25519", "nimiq-pay", "webauthn" };

G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == CROSSING_KIND_TRANSACTION + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (kind_nouns) == CROSSING_KIND_TRANSACTION + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (adapter_names) == CROSSING_ADAPTER_WEBAUTHN + 1);

/* *INDENT-OFF* */
static const struct {
  const char *code;
  guint       status;
  const char *message;
} errors[CROSSING_N_ERRORS] = {
  [CROSSING_ERROR_INVALID_REQUEST] = { "INVALID_REQUEST", 400, "The request is not valid" },
  [CROSSING_ERROR_ORDER_EXPIRED] = { "ORDER_EXPIRED", 400, "The order has expired" },
  [CROSSING_ERROR_NOT_READY_TO_APPROVE] = { "NOT_READY_TO_APPROVE", 400,
                                            "The order cannot be approved now" },
  [CROSSING_ERROR_NOT_READY_TO_REJECT] = { "NOT_READY_TO_REJECT", 400,
                                           "The order cannot be rejected now" },
  [CROSSING_ERROR_NOT_READY_TO_CANCEL] = { "NOT_READY_TO_CANCEL", 400,
                                           "The order cannot be cancelled now" },
  [CROSSING_ERROR_NOT_READY_TO_FINALIZE] = { "NOT_READY_TO_FINALIZE", 400,
                                             "The order is not approved yet" },
  [CROSSING_ERROR_TRANSITION_CONFLICT] = { "TRANSITION_CONFLICT", 400, "The order has ended" },
  [CROSSING_ERROR_ORIGIN_MISMATCH] = { "ORIGIN_MISMATCH", 400,
                                       "The origin does not match the order's origin" },
  [CROSSING_ERROR_UNTRUSTED_ORIGIN] = { "UNTRUSTED_ORIGIN", 400, "The origin is not trusted" },
  [CROSSING_ERROR_RETURN_TO_NOT_ALLOWED] = { "RETURN_TO_NOT_ALLOWED", 400,
                                             "returnTo must be a relative path" },
  [CROSSING_ERROR_UNSUPPORTED_ADAPTER] = { "UNSUPPORTED_ADAPTER", 400,
                                           "The adapter is not supported" },
  [CROSSING_ERROR_CHECK_CODE_MISMATCH] = { "CHECK_CODE_MISMATCH", 400,
                                           "The check code does not match" },
  [CROSSING_ERROR_INVALID_CLAIM_TOKEN] = { "INVALID_CLAIM_TOKEN", 401,
                                           "The claim token is not valid" },
  [CROSSING_ERROR_INVALID_CHALLENGE_TOKEN] = { "INVALID_CHALLENGE_TOKEN", 401,
                                               "The challenge token is not valid" },
  [CROSSING_ERROR_INVALID_DESKTOP_TOKEN] = { "INVALID_DESKTOP_TOKEN", 401,
                                             "The desktop token is not valid" },
  [CROSSING_ERROR_INVALID_EVENT_TOKEN] = { "INVALID_EVENT_TOKEN", 401,
                                           "The event token is not valid" },
  [CROSSING_ERROR_INVALID_PROOF] = { "INVALID_PROOF", 401, "The proof is not valid" },
  [CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN] = {
    "UNABLE_TO_RESOLVE_APPROVED_LOGIN", 401, "This key is not allowed to sign in" },
  [CROSSING_ERROR_INVALID_NONCE] = {
    "INVALID_NONCE", 401, "The nonce is unknown, used or expired" },
  [CROSSING_ERROR_ORDER_NOT_FOUND] = { "ORDER_NOT_FOUND", 404, "Order not found" },
  [CROSSING_ERROR_NOT_FOUND] = { "NOT_FOUND", 404, "Not found" },
  [CROSSING_ERROR_METHOD_NOT_ALLOWED] = { "METHOD_NOT_ALLOWED", 405, "Method not allowed" },
  [CROSSING_ERROR_ALREADY_CLAIMED] = { "ALREADY_CLAIMED", 409,
                                       "Another device has already claimed this order" },
  [CROSSING_ERROR_TRANSITION_RACE] = { "TRANSITION_CONFLICT", 409,
                                       "The order changed at the same time" },
  [CROSSING_ERROR_FINALIZE_ALREADY_USED] = { "FINALIZE_ALREADY_USED", 409,
                                             "The order was already finalized" },
  [CROSSING_ERROR_PAYLOAD_TOO_LARGE] = { "PAYLOAD_TOO_LARGE", 413,
                                         "The body is larger than 16 KiB" },
  [CROSSING_ERROR_UNSUPPORTED_MEDIA_TYPE] = { "UNSUPPORTED_MEDIA_TYPE", 415,
                                              "The body must be application/json" },
  [CROSSING_ERROR_RATE_LIMITED] = { "RATE_LIMITED", 429, "Too many requests" },
  [CROSSING_ERROR_INVALID_POLL_TOKEN] = { "INVALID_POLL_TOKEN", 401,
                                          "The poll cookie is missing or not this challenge's" },
  [CROSSING_ERROR_INTERNAL] = { "INTERNAL_ERROR", 500, "Internal error" },
  [CROSSING_ERROR_UNAVAILABLE] = { "UNAVAILABLE", 503,
                                   "The service is unavailable; try again shortly" },
  [CROSSING_ERROR_INVALID_USER_CODE] = { "INVALID_USER_CODE", 400,
                                         "The code is unknown, used or expired" },
  [CROSSING_ERROR_SLOW_DOWN] = { "SLOW_DOWN", 429, "Polled faster than the interval" },
  [CROSSING_ERROR_SUBJECT_MISMATCH] = { "SUBJECT_MISMATCH", 403,
                                        "Only another signer can approve this request" },
  /* The ledger's. */
  [CROSSING_ERROR_UNAUTHORIZED] = { "UNAUTHORIZED", 401, "No valid session or admin key" },
  [CROSSING_ERROR_FORBIDDEN] = { "FORBIDDEN", 403, "This needs the admin role" },
  [CROSSING_ERROR_LEDGER_MUTATIONS_DISABLED] = { "LEDGER_MUTATIONS_DISABLED", 403,
                                                 "Ledger mutations are turned off" },
  [CROSSING_ERROR_USER_NOT_FOUND] = { "USER_NOT_FOUND", 404, "User not found" },
  [CROSSING_ERROR_RESERVATION_NOT_FOUND] = { "RESERVATION_NOT_FOUND", 404,
                                             "Reservation not found" },
  [CROSSING_ERROR_INVALID_AMOUNT] = { "INVALID_AMOUNT", 400,
                                      "The amount must be an integer from 1 to 2^53 - 1" },
  [CROSSING_ERROR_UNKNOWN_ASSET] = { "UNKNOWN_ASSET", 400, "The asset is not configured" },
  [CROSSING_ERROR_INVALID_CURSOR] = { "INVALID_CURSOR", 400, "The cursor is not valid here" },
  [CROSSING_ERROR_CAPTURE_EXCEEDS_RESERVATION] = { "CAPTURE_EXCEEDS_RESERVATION", 400,
                                                   "The capture exceeds the reservation" },
  [CROSSING_ERROR_INSUFFICIENT_FUNDS] = { "INSUFFICIENT_FUNDS", 409,
                                          "The available balance is too low" },
  [CROSSING_ERROR_RESERVATION_NOT_HELD] = { "RESERVATION_NOT_HELD", 409,
                                            "The reservation is no longer held" },
  [CROSSING_ERROR_RESERVATION_EXPIRED] = { "RESERVATION_EXPIRED", 409,
                                           "The reservation has expired" },
  [CROSSING_ERROR_RESERVATION_AWAITING_APPROVAL] = { "RESERVATION_AWAITING_APPROVAL", 409,
                                                     "The reservation awaits its approval" },
  [CROSSING_ERROR_BALANCE_LIMIT_EXCEEDED] = { "BALANCE_LIMIT_EXCEEDED", 409,
                                              "A balance would pass 2^53 - 1" },
  [CROSSING_ERROR_IDEMPOTENCY_CONFLICT] = { "IDEMPOTENCY_CONFLICT", 422,
                                            "This idempotency key was used for another request" },
};
/* *INDENT-ON* */

G_DEFINE_QUARK (crossing-error-quark, crossing_error)

const char *
crossing_status_to_string (CrossingStatus status)
{
  if ((guint) status >= CROSSING_N_STATUSES)
    return NULL;
  return status_names[status];
}

CrossingStatus
crossing_status_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (status_names); i++)
    if (strcmp (str, status_names[i]) == 0)
      return (CrossingStatus) i;
  return CROSSING_STATUS_INVALID;
}

gboolean
crossing_status_is_terminal (CrossingStatus status)
{
  return status >= CROSSING_STATUS_FINALIZED && status < CROSSING_N_STATUSES;
}

const char *
crossing_kind_to_string (CrossingKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_names))
    return NULL;
  return kind_names[kind];
}

CrossingKind
crossing_kind_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (kind_names); i++)
    if (strcmp (str, kind_names[i]) == 0)
      return (CrossingKind) i;
  return CROSSING_KIND_INVALID;
}

const char *
crossing_kind_to_noun (CrossingKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_nouns))
    return NULL;
  return kind_nouns[kind];
}

const char *
crossing_adapter_to_string (CrossingAdapter adapter)
{
  if ((guint) adapter >= G_N_ELEMENTS (adapter_names))
    return NULL;
  return adapter_names[adapter];
}

CrossingAdapter
crossing_adapter_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (adapter_names); i++)
    if (strcmp (str, adapter_names[i]) == 0)
      return (CrossingAdapter) i;
  return CROSSING_ADAPTER_INVALID;
}

gboolean
crossing_adapter_signs_with_key (CrossingAdapter adapter)
{
  return adapter == CROSSING_ADAPTER_ED25519 || adapter == CROSSING_ADAPTER_NIMIQ_PAY;
}

const char *
crossing_error_to_code (CrossingError error)
{
  g_return_val_if_fail ((guint) error < CROSSING_N_ERRORS, "INTERNAL_ERROR");
  return errors[error].code;
}

guint
crossing_error_to_http_status (CrossingError error)
{
  g_return_val_if_fail ((guint) error < CROSSING_N_ERRORS, 500);
  return errors[error].status;
}

const char *
crossing_error_default_message (CrossingError error)
{
  g_return_val_if_fail ((guint) error < CROSSING_N_ERRORS, "Internal error");
  return errors[error].message;
}

int
crossing_error_from_code (const char *code)
{
  /* The first match wins: the 400 TRANSITION_CONFLICT comes before 409. */
  for (guint i = 0; code != NULL && i < CROSSING_N_ERRORS; i++)
    if (strcmp (code, errors[i].code) == 0)
      return (int) i;
  return -1;
}

gint64
crossing_now_ms (void)
{
  return g_get_real_time () / 1000;
}

char *
crossing_format_iso8601_ms (gint64 epoch_ms)
{
  /* Floor division, so times before 1970 keep a non-negative fraction. */
  gint64 seconds = epoch_ms / 1000 - (epoch_ms % 1000 < 0 ? 1 : 0);
  int millis = (int) (epoch_ms - seconds * 1000);
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (seconds);
  g_autofree char *whole = NULL;

  if (time == NULL)
    return g_strdup ("");
  whole = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", whole, millis);
}

gboolean
crossing_string_is_clean (const char *str)
{
  if (str == NULL || !g_utf8_validate (str, -1, NULL))
    return FALSE;
  /* Every control character is one byte below 0x80 in UTF-8. */
  for (const unsigned char *p = (const unsigned char *) str; *p != '\0'; p++)
    if (crossing_unichar_is_control (*p))
      return FALSE;
  return TRUE;
}

gboolean
crossing_return_to_is_allowed (const char *value)
{
  g_return_val_if_fail (value != NULL, FALSE);

  return value[0] == '/' && value[1] != '/' && strchr (value, '\\') == NULL &&
         strstr (value, "://") == NULL;
}

char *
crossing_string_scrub (const char *text,
                       gsize       max_chars)
{
  char *clean;
  char *p;
  gsize n = 0;

  if (text == NULL)
    return g_strdup ("");

  /* Once valid, one pass over the bytes: every character starts with a byte
   * that is not 10xxxxxx, and every control character is that one byte. */
  clean = g_utf8_make_valid (text, -1);
  for (p = clean; *p != '\0'; p++)
    {
      if (((guchar) *p & 0xc0) == 0x80)
        continue;
      if (n++ == max_chars)
        break;
      if (crossing_unichar_is_control ((guchar) *p))
        *p = ' ';
    }
  *p = '\0';
  return clean;
}
