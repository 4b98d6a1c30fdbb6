/* test-races.c: many requests in flight for the same order, one winner
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "companion-errors.h"
#include "companion-test-utils.h"

#define N_RACERS 20

static SoupMessage *
json_post (CtFixture  *f,
           const char *endpoint,
           const char *json)
{
  return ct_message_new_post (f, endpoint, "application/json", json, -1);
}

static void
test_concurrent_claims (CtFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  g_autofree char *body = g_strdup_printf ("{\"orderId\":\"%s\",\"claimToken\":\"%s\"}",
                                           order->order_id, order->claim_token);
  g_autofree char *winner_token = NULL;
  g_autoptr(CtResponse) challenge = NULL;
  guint ok = 0, conflicts = 0;

  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autoptr(SoupMessage) msg = json_post (f, "claim", body);

      ct_batch_add (batch, msg);
    }
  responses = ct_batch_wait (batch);

  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);

      if (response->status == 200)
        {
          ok++;
          winner_token = g_strdup (ct_json_string (ct_response_object (response),
                                                   "challengeToken"));
        }
      else
        {
          ct_response_assert_error (response, 409, "ALREADY_CLAIMED");
          conflicts++;
        }
    }
  g_assert_cmpuint (ok, ==, 1);
  g_assert_cmpuint (conflicts, ==, N_RACERS - 1);

  /* The winner's token is the one that works. */
  challenge = ct_post_printf (f, "challenge", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                              order->order_id, winner_token);
  g_assert_cmpuint (challenge->status, ==, 200);
}

static void
test_concurrent_login_finalizes (CtFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  g_autofree char *body = NULL;
  guint ok = 0, used = 0;

  ct_order_approve (f, order);
  body = g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}", order->order_id,
                          order->desktop_token);
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autoptr(SoupMessage) msg = json_post (f, "finalize", body);

      ct_batch_add (batch, msg);
    }
  responses = ct_batch_wait (batch);

  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);

      if (response->status == 200)
        {
          ok++;
          ct_json_string (ct_response_object (response), "token");
          g_assert_nonnull (soup_message_headers_get_one (response->headers, "set-auth-token"));
        }
      else
        {
          ct_response_assert_error (response, 409, "FINALIZE_ALREADY_USED");
          g_assert_null (soup_message_headers_get_one (response->headers, "set-auth-token"));
          used++;
        }
    }
  g_assert_cmpuint (ok, ==, 1);
  g_assert_cmpuint (used, ==, N_RACERS - 1);
}

/* A proof is not a secret the desktop can use twice: every finalize of a
 * sign order may have it, and it is the same. */
static void
test_concurrent_sign_finalizes_agree (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "sign", NULL);
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  g_autofree char *body = NULL;
  g_autofree char *first = NULL;

  ct_order_approve (f, order);
  body = g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}", order->order_id,
                          order->desktop_token);
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autoptr(SoupMessage) msg = json_post (f, "finalize", body);

      ct_batch_add (batch, msg);
    }
  responses = ct_batch_wait (batch);

  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);
      g_autofree char *text = NULL;

      g_assert_cmpuint (response->status, ==, 200);
      text = json_to_string (response->json, FALSE);
      if (first == NULL)
        first = g_steal_pointer (&text);
      else
        g_assert_cmpstr (text, ==, first);
    }
}

/* The phone approves while the desktop cancels: one of them wins. */
static void
test_approve_against_cancel (CtFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) approve_root = NULL;
  g_autofree char *approve_body = NULL;
  g_autofree char *cancel_body = NULL;
  g_autoptr(SoupMessage) approve = NULL;
  g_autoptr(SoupMessage) cancel = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  CtResponse *approved, *cancelled;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  envelope = ct_order_challenge (f, order);
  ct_order_sign (order);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "orderId");
  json_builder_add_string_value (builder, order->order_id);
  json_builder_set_member_name (builder, "challengeToken");
  json_builder_add_string_value (builder, order->challenge_token);
  json_builder_set_member_name (builder, "checkCode");
  json_builder_add_string_value (builder, order->check_code);
  json_builder_set_member_name (builder, "proof");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "publicKeyHex");
  json_builder_add_string_value (builder, order->public_key_hex);
  json_builder_set_member_name (builder, "signatureHex");
  json_builder_add_string_value (builder, order->signature_hex);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  approve_root = json_builder_get_root (builder);
  approve_body = json_to_string (approve_root, FALSE);
  cancel_body = g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}", order->order_id,
                                 order->desktop_token);

  approve = json_post (f, "approve", approve_body);
  cancel = json_post (f, "cancel", cancel_body);
  ct_batch_add (batch, approve);
  ct_batch_add (batch, cancel);
  responses = ct_batch_wait (batch);
  approved = g_ptr_array_index (responses, 0);
  cancelled = g_ptr_array_index (responses, 1);

  stored = companion_store_get_order (ct_fixture_get_store (f), order->order_id, NULL);
  g_assert_nonnull (stored);
  if (approved->status == 200)
    {
      ct_response_assert_error (cancelled, 400, "NOT_READY_TO_CANCEL");
      g_assert_cmpint (stored->status, ==, CROSSING_STATUS_APPROVED);
    }
  else
    {
      g_assert_cmpuint (cancelled->status, ==, 200);
      ct_response_assert_error (approved, 400, "TRANSITION_CONFLICT");
      g_assert_cmpint (stored->status, ==, CROSSING_STATUS_CANCELLED);
    }
}

/* Over HTTP one process answers requests one at a time, so the 409
 * TRANSITION_CONFLICT of a lost race can only be shown where the race is
 * decided: the store's compare-and-set. */
static void
test_store_compare_and_set_loser (CtFixture     *f,
                                  gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  CompanionStore *store = ct_fixture_get_store (f);
  CompanionOrderChange cancel = { .to = CROSSING_STATUS_CANCELLED };
  CompanionOrderChange claim = { .to = CROSSING_STATUS_CLAIMED };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 seq = 0;

  /* Both read "created"; the cancel commits first. */
  g_assert_true (companion_store_transition (store, order->order_id,
                                             COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED),
                                             &cancel, "{}", &seq, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seq, ==, 1);

  g_assert_false (companion_store_transition (store, order->order_id,
                                              COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED),
                                              &claim, "{}", &seq, &error));
  g_assert_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT);
  g_assert_cmpint (companion_error_to_wire (error), ==, CROSSING_ERROR_TRANSITION_RACE);
  g_assert_cmpstr (crossing_error_to_code (companion_error_to_wire (error)), ==,
                   "TRANSITION_CONFLICT");
  g_assert_cmpuint (crossing_error_to_http_status (companion_error_to_wire (error)), ==, 409);

  /* The loser left no event behind. */
  g_clear_error (&error);
  events = companion_store_list_events (store, order->order_id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/races/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)

  ADD ("claim/twenty-claims-one-winner", test_concurrent_claims);
  ADD ("finalize/twenty-login-finalizes-one-token", test_concurrent_login_finalizes);
  ADD ("finalize/twenty-sign-finalizes-same-artifact", test_concurrent_sign_finalizes_agree);
  ADD ("approve/against-cancel-one-wins", test_approve_against_cancel);
  ADD ("store/compare-and-set-loser-conflicts", test_store_compare_and_set_loser);

  return g_test_run ();
}
