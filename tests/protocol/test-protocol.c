/* test-protocol.c: wire names, error table, times and clean strings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-protocol.h"

static void
test_status_names (void)
{
  static const char *expected[] = {
    "created", "claimed", "waiting_user", "approved", "finalized", "rejected", "cancelled",
    "expired",
  };

  g_assert_cmpuint (G_N_ELEMENTS (expected), ==, CROSSING_N_STATUSES);
  for (int s = 0; s < CROSSING_N_STATUSES; s++)
    {
      g_assert_cmpstr (crossing_status_to_string (s), ==, expected[s]);
      g_assert_cmpint (crossing_status_from_string (expected[s]), ==, s);
    }
  g_assert_cmpint (crossing_status_from_string ("bogus"), ==, CROSSING_STATUS_INVALID);
  g_assert_cmpint (crossing_status_from_string ("Created"), ==, CROSSING_STATUS_INVALID);
  g_assert_cmpint (crossing_status_from_string (""), ==, CROSSING_STATUS_INVALID);
  g_assert_cmpint (crossing_status_from_string (NULL), ==, CROSSING_STATUS_INVALID);
  g_assert_null (crossing_status_to_string (CROSSING_STATUS_INVALID));
  g_assert_null (crossing_status_to_string (CROSSING_N_STATUSES));
}

static void
test_terminal_statuses (void)
{
  g_assert_false (crossing_status_is_terminal (CROSSING_STATUS_CREATED));
  g_assert_false (crossing_status_is_terminal (CROSSING_STATUS_CLAIMED));
  g_assert_false (crossing_status_is_terminal (CROSSING_STATUS_WAITING_USER));
  g_assert_false (crossing_status_is_terminal (CROSSING_STATUS_APPROVED));
  g_assert_true (crossing_status_is_terminal (CROSSING_STATUS_FINALIZED));
  g_assert_true (crossing_status_is_terminal (CROSSING_STATUS_REJECTED));
  g_assert_true (crossing_status_is_terminal (CROSSING_STATUS_CANCELLED));
  g_assert_true (crossing_status_is_terminal (CROSSING_STATUS_EXPIRED));
  g_assert_false (crossing_status_is_terminal (CROSSING_STATUS_INVALID));
}

static void
test_kind_and_adapter_names (void)
{
  g_assert_cmpstr (crossing_kind_to_string (CROSSING_KIND_LOGIN), ==, "login");
  g_assert_cmpstr (crossing_kind_to_string (CROSSING_KIND_SIGN), ==, "sign");
  g_assert_cmpstr (crossing_kind_to_string (CROSSING_KIND_TRANSACTION), ==, "transaction");
  g_assert_cmpstr (crossing_kind_to_noun (CROSSING_KIND_LOGIN), ==, "login");
  g_assert_cmpstr (crossing_kind_to_noun (CROSSING_KIND_SIGN), ==, "signature");
  g_assert_cmpstr (crossing_kind_to_noun (CROSSING_KIND_TRANSACTION), ==, "transaction");
  g_assert_cmpint (crossing_kind_from_string ("login"), ==, CROSSING_KIND_LOGIN);
  g_assert_cmpint (crossing_kind_from_string ("sign"), ==, CROSSING_KIND_SIGN);
  g_assert_cmpint (crossing_kind_from_string ("transaction"), ==, CROSSING_KIND_TRANSACTION);
  g_assert_cmpint (crossing_kind_from_string ("signature"), ==, CROSSING_KIND_INVALID);
  g_assert_cmpint (crossing_kind_from_string (NULL), ==, CROSSING_KIND_INVALID);
  g_assert_null (crossing_kind_to_string (CROSSING_KIND_INVALID));
  g_assert_null (crossing_kind_to_noun (CROSSING_KIND_TRANSACTION + 1));

  g_assert_cmpstr (crossing_adapter_to_string (CROSSING_ADAPTER_ED25519), ==, "ed25519");
  g_assert_cmpstr (crossing_adapter_to_string (CROSSING_ADAPTER_NIMIQ_PAY), ==, "nimiq-pay");
  g_assert_cmpint (crossing_adapter_from_string ("ed25519"), ==, CROSSING_ADAPTER_ED25519);
  g_assert_cmpint (crossing_adapter_from_string ("nimiq-pay"), ==, CROSSING_ADAPTER_NIMIQ_PAY);
  g_assert_cmpint (crossing_adapter_from_string ("nimiq"), ==, CROSSING_ADAPTER_INVALID);
  g_assert_cmpint (crossing_adapter_from_string (NULL), ==, CROSSING_ADAPTER_INVALID);
  g_assert_null (crossing_adapter_to_string (CROSSING_ADAPTER_INVALID));
  g_assert_cmpint (CROSSING_DEFAULT_ADAPTER, ==, CROSSING_ADAPTER_ED25519);
  g_assert_cmpstr (crossing_adapter_to_string (CROSSING_ADAPTER_WEBAUTHN), ==, "webauthn");
  g_assert_cmpint (crossing_adapter_from_string ("webauthn"), ==, CROSSING_ADAPTER_WEBAUTHN);
  g_assert_true (crossing_adapter_signs_with_key (CROSSING_ADAPTER_ED25519));
  g_assert_true (crossing_adapter_signs_with_key (CROSSING_ADAPTER_NIMIQ_PAY));
  g_assert_false (crossing_adapter_signs_with_key (CROSSING_ADAPTER_WEBAUTHN));
  g_assert_false (crossing_adapter_signs_with_key (CROSSING_ADAPTER_INVALID));
}

static void
test_error_table (void)
{
  static const struct {
    CrossingError error;
    const char   *code;
    guint         status;
  } table[] = {
    { CROSSING_ERROR_INVALID_REQUEST, "INVALID_REQUEST", 400 },
    { CROSSING_ERROR_ORDER_EXPIRED, "ORDER_EXPIRED", 400 },
    { CROSSING_ERROR_NOT_READY_TO_APPROVE, "NOT_READY_TO_APPROVE", 400 },
    { CROSSING_ERROR_NOT_READY_TO_REJECT, "NOT_READY_TO_REJECT", 400 },
    { CROSSING_ERROR_NOT_READY_TO_CANCEL, "NOT_READY_TO_CANCEL", 400 },
    { CROSSING_ERROR_NOT_READY_TO_FINALIZE, "NOT_READY_TO_FINALIZE", 400 },
    { CROSSING_ERROR_TRANSITION_CONFLICT, "TRANSITION_CONFLICT", 400 },
    { CROSSING_ERROR_ORIGIN_MISMATCH, "ORIGIN_MISMATCH", 400 },
    { CROSSING_ERROR_UNTRUSTED_ORIGIN, "UNTRUSTED_ORIGIN", 400 },
    { CROSSING_ERROR_RETURN_TO_NOT_ALLOWED, "RETURN_TO_NOT_ALLOWED", 400 },
    { CROSSING_ERROR_UNSUPPORTED_ADAPTER, "UNSUPPORTED_ADAPTER", 400 },
    { CROSSING_ERROR_CHECK_CODE_MISMATCH, "CHECK_CODE_MISMATCH", 400 },
    { CROSSING_ERROR_INVALID_CLAIM_TOKEN, "INVALID_CLAIM_TOKEN", 401 },
    { CROSSING_ERROR_INVALID_CHALLENGE_TOKEN, "INVALID_CHALLENGE_TOKEN", 401 },
    { CROSSING_ERROR_INVALID_DESKTOP_TOKEN, "INVALID_DESKTOP_TOKEN", 401 },
    { CROSSING_ERROR_INVALID_EVENT_TOKEN, "INVALID_EVENT_TOKEN", 401 },
    { CROSSING_ERROR_INVALID_PROOF, "INVALID_PROOF", 401 },
    { CROSSING_ERROR_UNABLE_TO_RESOLVE_APPROVED_LOGIN, "UNABLE_TO_RESOLVE_APPROVED_LOGIN", 401 },
    { CROSSING_ERROR_INVALID_NONCE, "INVALID_NONCE", 401 },
    { CROSSING_ERROR_ORDER_NOT_FOUND, "ORDER_NOT_FOUND", 404 },
    { CROSSING_ERROR_NOT_FOUND, "NOT_FOUND", 404 },
    { CROSSING_ERROR_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 405 },
    { CROSSING_ERROR_ALREADY_CLAIMED, "ALREADY_CLAIMED", 409 },
    { CROSSING_ERROR_TRANSITION_RACE, "TRANSITION_CONFLICT", 409 },
    { CROSSING_ERROR_FINALIZE_ALREADY_USED, "FINALIZE_ALREADY_USED", 409 },
    { CROSSING_ERROR_PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", 413 },
    { CROSSING_ERROR_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", 415 },
    { CROSSING_ERROR_RATE_LIMITED, "RATE_LIMITED", 429 },
    { CROSSING_ERROR_INVALID_POLL_TOKEN, "INVALID_POLL_TOKEN", 401 },
    { CROSSING_ERROR_INTERNAL, "INTERNAL_ERROR", 500 },
    { CROSSING_ERROR_UNAVAILABLE, "UNAVAILABLE", 503 },
    { CROSSING_ERROR_INVALID_USER_CODE, "INVALID_USER_CODE", 400 },
    { CROSSING_ERROR_SLOW_DOWN, "SLOW_DOWN", 429 },
    { CROSSING_ERROR_SUBJECT_MISMATCH, "SUBJECT_MISMATCH", 403 },
    /* The ledger's. */
    { CROSSING_ERROR_UNAUTHORIZED, "UNAUTHORIZED", 401 },
    { CROSSING_ERROR_FORBIDDEN, "FORBIDDEN", 403 },
    { CROSSING_ERROR_LEDGER_MUTATIONS_DISABLED, "LEDGER_MUTATIONS_DISABLED", 403 },
    { CROSSING_ERROR_USER_NOT_FOUND, "USER_NOT_FOUND", 404 },
    { CROSSING_ERROR_RESERVATION_NOT_FOUND, "RESERVATION_NOT_FOUND", 404 },
    { CROSSING_ERROR_INVALID_AMOUNT, "INVALID_AMOUNT", 400 },
    { CROSSING_ERROR_UNKNOWN_ASSET, "UNKNOWN_ASSET", 400 },
    { CROSSING_ERROR_INVALID_CURSOR, "INVALID_CURSOR", 400 },
    { CROSSING_ERROR_CAPTURE_EXCEEDS_RESERVATION, "CAPTURE_EXCEEDS_RESERVATION", 400 },
    { CROSSING_ERROR_INSUFFICIENT_FUNDS, "INSUFFICIENT_FUNDS", 409 },
    { CROSSING_ERROR_RESERVATION_NOT_HELD, "RESERVATION_NOT_HELD", 409 },
    { CROSSING_ERROR_RESERVATION_EXPIRED, "RESERVATION_EXPIRED", 409 },
    { CROSSING_ERROR_RESERVATION_AWAITING_APPROVAL, "RESERVATION_AWAITING_APPROVAL", 409 },
    { CROSSING_ERROR_BALANCE_LIMIT_EXCEEDED, "BALANCE_LIMIT_EXCEEDED", 409 },
    { CROSSING_ERROR_IDEMPOTENCY_CONFLICT, "IDEMPOTENCY_CONFLICT", 422 },
  };
  gboolean seen[CROSSING_N_ERRORS] = { FALSE, };

  g_assert_cmpuint (G_N_ELEMENTS (table), ==, CROSSING_N_ERRORS);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      const char *message = crossing_error_default_message (table[i].error);

      g_assert_false (seen[table[i].error]);
      seen[table[i].error] = TRUE;
      g_assert_cmpstr (crossing_error_to_code (table[i].error), ==, table[i].code);
      g_assert_cmpuint (crossing_error_to_http_status (table[i].error), ==, table[i].status);
      g_assert_nonnull (message);
      g_assert_cmpuint (strlen (message), >, 0);
      g_assert_true (crossing_string_is_clean (message));
    }
}

static void
test_error_from_code (void)
{
  for (int e = 0; e < CROSSING_N_ERRORS; e++)
    {
      int back = crossing_error_from_code (crossing_error_to_code (e));

      /* Only the 409 TRANSITION_CONFLICT does not come back as itself. */
      if (e == CROSSING_ERROR_TRANSITION_RACE)
        g_assert_cmpint (back, ==, CROSSING_ERROR_TRANSITION_CONFLICT);
      else
        g_assert_cmpint (back, ==, e);
    }
  g_assert_cmpint (crossing_error_from_code ("TRANSITION_CONFLICT"), ==,
                   CROSSING_ERROR_TRANSITION_CONFLICT);
  g_assert_cmpint (crossing_error_from_code ("INTERNAL"), ==, -1);
  g_assert_cmpint (crossing_error_from_code ("order_not_found"), ==, -1);
  g_assert_cmpint (crossing_error_from_code (""), ==, -1);
  g_assert_cmpint (crossing_error_from_code (NULL), ==, -1);
}

static void
test_error_quark (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (CROSSING_ERROR, !=, 0);
  g_assert_cmpuint (CROSSING_ERROR, ==, crossing_error_quark ());
  g_set_error_literal (&error, CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF, "x");
  g_assert_error (error, CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF);
}

static void
test_iso8601 (void)
{
  static const struct {
    gint64      ms;
    const char *text;
  } cases[] = {
    { G_GINT64_CONSTANT (1795341600000), "2026-11-22T10:00:00.000Z" },
    { G_GINT64_CONSTANT (1795341600007), "2026-11-22T10:00:00.007Z" },
    { G_GINT64_CONSTANT (1795341659999), "2026-11-22T10:00:59.999Z" },
    { 0, "1970-01-01T00:00:00.000Z" },
    { 1, "1970-01-01T00:00:00.001Z" },
    { -1, "1969-12-31T23:59:59.999Z" },
    { -1000, "1969-12-31T23:59:59.000Z" },
    { G_GINT64_CONSTANT (951782400123), "2000-02-29T00:00:00.123Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = crossing_format_iso8601_ms (cases[i].ms);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_iso8601_is_utc_whatever_the_zone (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("TZ"));
  g_autofree char *text = NULL;

  g_setenv ("TZ", "Pacific/Chatham", TRUE);
  text = crossing_format_iso8601_ms (G_GINT64_CONSTANT (1795341600000));
  if (saved != NULL)
    g_setenv ("TZ", saved, TRUE);
  else
    g_unsetenv ("TZ");
  g_assert_cmpstr (text, ==, "2026-11-22T10:00:00.000Z");
}

static void
test_now_ms (void)
{
  gint64 before = g_get_real_time () / 1000;
  gint64 now = crossing_now_ms ();
  gint64 after = g_get_real_time () / 1000;

  g_assert_cmpint (now, >=, before);
  g_assert_cmpint (now, <=, after);
}

static void
test_clean_strings (void)
{
  g_assert_true (crossing_string_is_clean (""));
  g_assert_true (crossing_string_is_clean ("Sign in to Crossing — ünïcode ✓"));
  g_assert_true (crossing_string_is_clean ("\xc2\x80 C1 controls are not in the contract's range"));
  g_assert_false (crossing_string_is_clean ("two\nlines"));
  g_assert_false (crossing_string_is_clean ("carriage\rreturn"));
  g_assert_false (crossing_string_is_clean ("tab\there"));
  g_assert_false (crossing_string_is_clean ("\x01"));
  g_assert_false (crossing_string_is_clean ("unit\x1fseparator"));
  g_assert_false (crossing_string_is_clean ("del\x7f"));
  g_assert_false (crossing_string_is_clean ("\xff\xfe"));
  g_assert_false (crossing_string_is_clean ("truncated \xe2\x80"));
  g_assert_false (crossing_string_is_clean ("overlong \xc0\xaf"));
  g_assert_false (crossing_string_is_clean (NULL));
}

static void
test_scrub_strings (void)
{
  struct {
    const char *in;
    gsize       max;
    const char *out;
  } cases[] = {
    { NULL, 10, "" },
    { "plain", 10, "plain" },
    { "a\tb\nc\x7f" "d", 10, "a b c d" },
    { "caf\xc3\xa9 au lait", 4, "caf\xc3\xa9" },
    { "bad\xff", 10, "bad\xef\xbf\xbd" },
    { "plain", 0, "" },
    { "plain", 5, "plain" },
    { "\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80\x01", 3, "\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80" },
    { "\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80\x01", 2, "\xe2\x82\xac\xe2\x82\xac" },
    { "\xff\xfe\x1f", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
    { "\xe2\x82\x1f!", 10, "\xef\xbf\xbd\xef\xbf\xbd !" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = crossing_string_scrub (cases[i].in, cases[i].max);

      g_assert_cmpstr (out, ==, cases[i].out);
      g_assert_true (crossing_string_is_clean (out));
    }
  g_assert_true (crossing_unichar_is_control (0x1f));
  g_assert_true (crossing_unichar_is_control (0x7f));
  g_assert_false (crossing_unichar_is_control (0x80));
  g_assert_false (crossing_unichar_is_control (' '));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/wire/status-names-round-trip", test_status_names);
  g_test_add_func ("/protocol/wire/terminal-statuses", test_terminal_statuses);
  g_test_add_func ("/protocol/wire/kind-and-adapter-names", test_kind_and_adapter_names);
  g_test_add_func ("/protocol/errors/codes-and-http-statuses-match-the-contract", test_error_table);
  g_test_add_func ("/protocol/errors/from-code-prefers-the-400-transition-conflict",
                   test_error_from_code);
  g_test_add_func ("/protocol/errors/quark-is-stable", test_error_quark);
  g_test_add_func ("/protocol/time/iso8601-utc-with-three-fraction-digits", test_iso8601);
  g_test_add_func ("/protocol/time/iso8601-ignores-the-local-zone",
                   test_iso8601_is_utc_whatever_the_zone);
  g_test_add_func ("/protocol/time/now-is-epoch-milliseconds", test_now_ms);
  g_test_add_func ("/protocol/strings/control-characters-are-refused", test_clean_strings);
  g_test_add_func ("/protocol/strings/scrub-makes-controls-spaces", test_scrub_strings);
  return g_test_run ();
}
