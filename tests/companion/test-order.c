/* test-order.c: the order state machine and the challenge message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The expectations are written out from PROTOCOL.md ("Order states", the
 * error table and each endpoint's "From ..." line), not derived from the
 * code under test.
 */
#include "config.h"

#include "companion-errors.h"
#include "companion-order.h"
#include "companion-store.h"

#define OK (-1)

/* 400 TRANSITION_CONFLICT: the order is terminal. */
#define TERMINAL CROSSING_ERROR_TRANSITION_CONFLICT
#define EXPIRED  CROSSING_ERROR_ORDER_EXPIRED

static const char *status_names[CROSSING_N_STATUSES] = {
  "created", "claimed", "waiting_user", "approved", "finalized", "rejected", "cancelled", "expired",
};

static const char *action_names[COMPANION_N_ACTIONS] = {
  "claim", "challenge", "approve", "reject", "cancel", "finalize", "expire",
};

/* expected[action][status]: OK or the contract's error. Columns:
 * created, claimed, waiting_user, approved, finalized, rejected, cancelled, expired */
static const int expected[COMPANION_N_ACTIONS][CROSSING_N_STATUSES] = {
  [COMPANION_ACTION_CLAIM] = {
    OK,
    CROSSING_ERROR_ALREADY_CLAIMED,
    CROSSING_ERROR_ALREADY_CLAIMED,
    CROSSING_ERROR_ALREADY_CLAIMED,
    TERMINAL, TERMINAL, TERMINAL, EXPIRED,
  },
  [COMPANION_ACTION_CHALLENGE] = {
    CROSSING_ERROR_NOT_READY_TO_APPROVE,
    OK,
    OK,
    CROSSING_ERROR_NOT_READY_TO_APPROVE,
    TERMINAL, TERMINAL, TERMINAL, EXPIRED,
  },
  [COMPANION_ACTION_APPROVE] = {
    CROSSING_ERROR_NOT_READY_TO_APPROVE,
    OK,
    OK,
    CROSSING_ERROR_NOT_READY_TO_APPROVE,
    TERMINAL, TERMINAL, TERMINAL, EXPIRED,
  },
  [COMPANION_ACTION_REJECT] = {
    CROSSING_ERROR_NOT_READY_TO_REJECT,
    OK,
    OK,
    CROSSING_ERROR_NOT_READY_TO_REJECT,
    TERMINAL, TERMINAL, TERMINAL, EXPIRED,
  },
  [COMPANION_ACTION_CANCEL] = {
    OK,
    OK,
    OK,
    CROSSING_ERROR_NOT_READY_TO_CANCEL,
    TERMINAL, TERMINAL, TERMINAL, EXPIRED,
  },
  [COMPANION_ACTION_FINALIZE] = {
    CROSSING_ERROR_NOT_READY_TO_FINALIZE,
    CROSSING_ERROR_NOT_READY_TO_FINALIZE,
    CROSSING_ERROR_NOT_READY_TO_FINALIZE,
    OK,
    CROSSING_ERROR_FINALIZE_ALREADY_USED,
    TERMINAL, TERMINAL, EXPIRED,
  },
  [COMPANION_ACTION_EXPIRE] = {
    OK, OK, OK, OK,
    TERMINAL, TERMINAL, TERMINAL, EXPIRED,
  },
};

/* Where each action leads (challenge: claimed -> waiting_user). */
static const CrossingStatus expected_target[COMPANION_N_ACTIONS] = {
  [COMPANION_ACTION_CLAIM] = CROSSING_STATUS_CLAIMED,
  [COMPANION_ACTION_CHALLENGE] = CROSSING_STATUS_WAITING_USER,
  [COMPANION_ACTION_APPROVE] = CROSSING_STATUS_APPROVED,
  [COMPANION_ACTION_REJECT] = CROSSING_STATUS_REJECTED,
  [COMPANION_ACTION_CANCEL] = CROSSING_STATUS_CANCELLED,
  [COMPANION_ACTION_FINALIZE] = CROSSING_STATUS_FINALIZED,
  [COMPANION_ACTION_EXPIRE] = CROSSING_STATUS_EXPIRED,
};

static void
test_check_table (void)
{
  for (guint a = 0; a < COMPANION_N_ACTIONS; a++)
    for (guint s = 0; s < CROSSING_N_STATUSES; s++)
      {
        int got = companion_action_check (a, s);

        if (got != expected[a][s])
          g_test_message ("%s from %s: expected %d, got %d", action_names[a], status_names[s],
                          expected[a][s], got);
        g_assert_cmpint (got, ==, expected[a][s]);
      }
}

/* The codes on the wire, with their statuses, for the errors the table uses. */
static void
test_check_wire_codes (void)
{
  static const struct {
    CrossingError error;
    const char   *code;
    guint         status;
  } wire[] = {
    { CROSSING_ERROR_ALREADY_CLAIMED, "ALREADY_CLAIMED", 409 },
    { CROSSING_ERROR_NOT_READY_TO_APPROVE, "NOT_READY_TO_APPROVE", 400 },
    { CROSSING_ERROR_NOT_READY_TO_REJECT, "NOT_READY_TO_REJECT", 400 },
    { CROSSING_ERROR_NOT_READY_TO_CANCEL, "NOT_READY_TO_CANCEL", 400 },
    { CROSSING_ERROR_NOT_READY_TO_FINALIZE, "NOT_READY_TO_FINALIZE", 400 },
    { CROSSING_ERROR_FINALIZE_ALREADY_USED, "FINALIZE_ALREADY_USED", 409 },
    { CROSSING_ERROR_TRANSITION_CONFLICT, "TRANSITION_CONFLICT", 400 },
    { CROSSING_ERROR_TRANSITION_RACE, "TRANSITION_CONFLICT", 409 },
    { CROSSING_ERROR_ORDER_EXPIRED, "ORDER_EXPIRED", 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (wire); i++)
    {
      g_assert_cmpstr (crossing_error_to_code (wire[i].error), ==, wire[i].code);
      g_assert_cmpuint (crossing_error_to_http_status (wire[i].error), ==, wire[i].status);
    }
}

static void
test_targets (void)
{
  for (guint a = 0; a < COMPANION_N_ACTIONS; a++)
    g_assert_cmpint (companion_action_target (a), ==, expected_target[a]);
}

/* The allowed-from masks are what the store's compare-and-set uses: they
 * must agree with the table's OK cells. */
static void
test_allowed_from_matches_table (void)
{
  for (guint a = 0; a < COMPANION_N_ACTIONS; a++)
    for (guint s = 0; s < CROSSING_N_STATUSES; s++)
      {
        gboolean allowed = (companion_action_allowed_from (a) & COMPANION_STATUS_BIT (s)) != 0;

        g_assert_cmpint (allowed, ==, expected[a][s] == OK);
      }
}

static void
test_terminal_states (void)
{
  static const gboolean terminal[CROSSING_N_STATUSES] = {
    FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE,
  };

  for (guint s = 0; s < CROSSING_N_STATUSES; s++)
    {
      g_assert_cmpint (crossing_status_is_terminal (s), ==, terminal[s]);
      g_assert_cmpstr (crossing_status_to_string (s), ==, status_names[s]);
    }
}

static CompanionOrder *
fixed_order (void)
{
  CompanionOrder *order = companion_order_new ();

  order->id = g_strdup ("ord_7Qx2Lm9KpZ4vB1nR");
  order->kind = CROSSING_KIND_LOGIN;
  order->adapter = CROSSING_ADAPTER_ED25519;
  order->status = CROSSING_STATUS_CREATED;
  order->app_name = g_strdup ("Crossing");
  order->origin = g_strdup ("https://app.example.org");
  order->challenge_id = g_strdup ("chl_Hk3Jd8Wq");
  order->nonce = g_strdup ("n0nce-AbC_123");
  order->issued_at = 1795341600000;               /* 2026-11-22T10:00:00.000Z */
  order->expires_at = 1795341600000 + 120000 + 7; /* 10:02:00.007 */
  order->title = g_strdup ("Crossing login");
  order->summary = g_strdup ("Approve login for Crossing.");
  return order;
}

static void
test_message_login_without_payload_hash (void)
{
  g_autoptr(CompanionOrder) order = fixed_order ();
  g_autofree char *message = companion_order_build_message (order);

  g_assert_cmpstr (message, ==,
                   "Crossing requests cross-device approval\n"
                   "Action: auth.login\n"
                   "Origin: https://app.example.org\n"
                   "Challenge ID: chl_Hk3Jd8Wq\n"
                   "Nonce: n0nce-AbC_123\n"
                   "Issued At: 2026-11-22T10:00:00.000Z\n"
                   "Expires At: 2026-11-22T10:02:00.007Z\n"
                   "Request ID: ord_7Qx2Lm9KpZ4vB1nR\n"
                   "Resource: /\n"
                   "kind: login\n"
                   "orderId: ord_7Qx2Lm9KpZ4vB1nR\n"
                   "summary: Approve login for Crossing.\n"
                   "title: Crossing login");
}

#define PAYLOAD_HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void
test_message_sign_with_payload_hash (void)
{
  g_autoptr(CompanionOrder) order = fixed_order ();
  g_autofree char *message = NULL;

  order->kind = CROSSING_KIND_SIGN;
  g_free (order->title);
  order->title = g_strdup ("Sign the lease");
  g_free (order->summary);
  order->summary = g_strdup ("Flat 3, 12 months");
  order->return_to = g_strdup ("/documents/42?tab=sign");
  order->payload_hash = g_strdup (PAYLOAD_HASH);
  message = companion_order_build_message (order);

  g_assert_cmpstr (message, ==,
                   "Crossing requests cross-device approval\n"
                   "Action: order.approve\n"
                   "Origin: https://app.example.org\n"
                   "Challenge ID: chl_Hk3Jd8Wq\n"
                   "Nonce: n0nce-AbC_123\n"
                   "Issued At: 2026-11-22T10:00:00.000Z\n"
                   "Expires At: 2026-11-22T10:02:00.007Z\n"
                   "Request ID: ord_7Qx2Lm9KpZ4vB1nR\n"
                   "Resource: /documents/42?tab=sign\n"
                   "Payload Hash: " PAYLOAD_HASH "\n"
                   "kind: sign\n"
                   "orderId: ord_7Qx2Lm9KpZ4vB1nR\n"
                   "summary: Flat 3, 12 months\n"
                   "title: Sign the lease");
}

static void
test_message_transaction_action (void)
{
  g_autoptr(CompanionOrder) order = fixed_order ();
  g_autofree char *message = NULL;
  g_auto(GStrv) lines = NULL;

  order->kind = CROSSING_KIND_TRANSACTION;
  message = companion_order_build_message (order);
  lines = g_strsplit (message, "\n", -1);

  g_assert_cmpuint (g_strv_length (lines), ==, 13);
  g_assert_cmpstr (lines[1], ==, "Action: order.approve");
  g_assert_cmpstr (lines[9], ==, "kind: transaction");
  g_assert_false (g_str_has_suffix (message, "\n"));
}

static void
test_redirect_to_defaults_to_root (void)
{
  g_autoptr(CompanionOrder) order = fixed_order ();

  g_assert_cmpstr (companion_order_redirect_to (order), ==, "/");
  order->return_to = g_strdup ("/after");
  g_assert_cmpstr (companion_order_redirect_to (order), ==, "/after");
}

static void
test_past_expiry (void)
{
  g_autoptr(CompanionOrder) order = fixed_order ();

  g_assert_false (companion_order_is_past_expiry (order, order->expires_at - 1));
  g_assert_true (companion_order_is_past_expiry (order, order->expires_at));
  /* A terminal order is never "past expiry": nothing is left to expire. */
  order->status = CROSSING_STATUS_FINALIZED;
  g_assert_false (companion_order_is_past_expiry (order, order->expires_at + 1));
}

/* core/companion-errors.c: the one table from the store to the wire. */
static void
test_store_errors_to_wire (void)
{
  static const struct {
    CompanionStoreError store;
    const char         *code;
    guint               status;
  } table[] = {
    { COMPANION_STORE_ERROR_CONFLICT, "TRANSITION_CONFLICT", 409 },
    { COMPANION_STORE_ERROR_NOT_FOUND, "ORDER_NOT_FOUND", 404 },
    { COMPANION_STORE_ERROR_UNAVAILABLE, "UNAVAILABLE", 503 },
    { COMPANION_STORE_ERROR_CORRUPT, "INTERNAL_ERROR", 500 },
    { COMPANION_STORE_ERROR_UNSUPPORTED, "INTERNAL_ERROR", 500 },
    { COMPANION_STORE_ERROR_FAILED, "INTERNAL_ERROR", 500 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      CrossingError wire = companion_store_error_to_wire (table[i].store);
      g_autoptr(GError) error = g_error_new_literal (COMPANION_STORE_ERROR, table[i].store,
                                                     "SELECT secret FROM sessions");

      g_assert_cmpstr (crossing_error_to_code (wire), ==, table[i].code);
      g_assert_cmpuint (crossing_error_to_http_status (wire), ==, table[i].status);
      g_assert_cmpint (companion_error_to_wire (error), ==, wire);

      companion_error_from_store (&error);
      g_assert_error (error, CROSSING_ERROR, (gint) wire);
      /* Only INTERNAL keeps the detail, for the log line; a response never
       * shows an INTERNAL message. */
      if (wire == CROSSING_ERROR_INTERNAL)
        g_assert_nonnull (strstr (error->message, "SELECT"));
      else
        g_assert_cmpstr (error->message, ==, crossing_error_default_message (wire));
    }

  {
    g_autoptr(GError) other = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_FAILED, "x");
    g_autoptr(GError) wire = g_error_new_literal (CROSSING_ERROR, CROSSING_ERROR_INVALID_PROOF,
                                                  "x");

    g_assert_cmpint (companion_error_to_wire (other), ==, CROSSING_ERROR_INTERNAL);
    g_assert_cmpint (companion_error_to_wire (wire), ==, CROSSING_ERROR_INVALID_PROOF);
    companion_error_from_store (&other);
    g_assert_error (other, G_FILE_ERROR, G_FILE_ERROR_FAILED);
    companion_error_from_store (NULL);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/companion/order/check/every-status-and-action", test_check_table);
  g_test_add_func ("/companion/order/check/wire-codes-and-statuses", test_check_wire_codes);
  g_test_add_func ("/companion/order/target/every-action", test_targets);
  g_test_add_func ("/companion/order/allowed-from/matches-table", test_allowed_from_matches_table);
  g_test_add_func ("/companion/order/status/terminal-states", test_terminal_states);
  g_test_add_func ("/companion/order/message/login-without-payload-hash",
                   test_message_login_without_payload_hash);
  g_test_add_func ("/companion/order/message/sign-with-payload-hash",
                   test_message_sign_with_payload_hash);
  g_test_add_func ("/companion/order/message/transaction-action", test_message_transaction_action);
  g_test_add_func ("/companion/order/redirect-to/defaults-to-root",
                   test_redirect_to_defaults_to_root);
  g_test_add_func ("/companion/order/expiry/clock-decides-for-pending-only", test_past_expiry);
  g_test_add_func ("/companion/errors/store-to-wire-table", test_store_errors_to_wire);

  return g_test_run ();
}
