/* test-identified.c: orders only one named signer may approve
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-engine.h"
#include "companion-test-utils.h"

/* PROTOCOL.md's nimiq-pay vector: this private key is this address. */
#define NIMIQ_VECTOR_SEED    "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e"
#define NIMIQ_VECTOR_ADDRESS "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U"

/* An identified order, claimed, its check code read and its challenge
 * fetched: ready to be approved. */
static CtOrder *
waiting_order (CtFixture  *f,
               const char *kind,
               const char *subject_json)
{
  g_autofree char *extra = g_strdup_printf ("\"subject\":%s", subject_json);
  CtOrder *order = ct_order_start (f, kind, extra);
  g_autoptr(JsonNode) challenge = NULL;

  ct_order_claim (f, order);
  ct_order_read_check_code (f, order);
  challenge = ct_order_challenge (f, order);
  return order;
}

static CrossingStatus
stored_status (CtFixture  *f,
               const char *order_id)
{
  g_autoptr(CompanionOrder) stored = companion_store_get_order (ct_fixture_get_store (f),
                                                                order_id, NULL);

  return stored->status;
}

static void
test_start_echoes_normalized_subject (CtFixture     *f,
                                      gconstpointer  data)
{
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *subject = NULL;
  g_autofree char *upper = NULL;
  g_autoptr(CtResponse) ed = NULL;
  g_autoptr(CtResponse) nimiq = NULL;
  g_autoptr(CtResponse) anonymous = NULL;
  JsonObject *o;

  ct_seed_for (1, seed);
  subject = ct_ed25519_subject (seed);
  upper = g_strconcat ("ed25519:", subject + strlen ("ed25519:"), NULL);
  for (char *p = upper + strlen ("ed25519:"); *p != '\0'; p++)
    *p = g_ascii_toupper (*p);

  ed = ct_post_printf (f, "start", "{\"kind\":\"login\",\"subject\":\"%s\"}", upper);
  g_assert_cmpuint (ed->status, ==, 200);
  o = ct_response_object (ed);
  g_assert_cmpstr (ct_json_string (o, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (o, "adapterId"), ==, "ed25519");

  /* Any spacing and case: stored and echoed in the NQ.. .... form, and the
   * adapter follows. */
  nimiq = ct_post (f, "start", "{\"kind\":\"sign\",\"subject\":\"nq71ct4k7r9rehsb 7hy9tstpxnrql2rk8u4u\"}");
  g_assert_cmpuint (nimiq->status, ==, 200);
  o = ct_response_object (nimiq);
  g_assert_cmpstr (ct_json_string (o, "subject"), ==, NIMIQ_VECTOR_ADDRESS);
  g_assert_cmpstr (ct_json_string (o, "adapterId"), ==, "nimiq-pay");

  anonymous = ct_post (f, "start", "{\"kind\":\"login\"}");
  g_assert_false (json_object_has_member (ct_response_object (anonymous), "subject"));
}

static void
test_start_refuses_bad_subjects (CtFixture     *f,
                                 gconstpointer  data)
{
  const struct {
    const char *body;
    guint       status;
    const char *code;
  } cases[] = {
    /* A wrong check digit. */
    { "{\"kind\":\"login\",\"subject\":\"NQ72 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U\"}",
      400, "INVALID_REQUEST" },
    { "{\"kind\":\"login\",\"subject\":\"ed25519:abcd\"}", 400, "INVALID_REQUEST" },
    { "{\"kind\":\"login\",\"subject\":\"ed25519:"
      "zz9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980\"}",
      400, "INVALID_REQUEST" },
    { "{\"kind\":\"login\",\"subject\":\"0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980\"}",
      400, "INVALID_REQUEST" },
    { "{\"kind\":\"login\",\"subject\":\"\"}", 400, "INVALID_REQUEST" },
    { "{\"kind\":\"login\",\"subject\":42}", 400, "INVALID_REQUEST" },
    { "{\"kind\":\"login\",\"subject\":\"NQ71 CT4K\\n7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U\"}",
      400, "INVALID_REQUEST" },
    /* A subject of one adapter with the other. */
    { "{\"kind\":\"login\",\"adapterId\":\"nimiq-pay\",\"subject\":\"ed25519:"
      "0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980\"}",
      400, "UNSUPPORTED_ADAPTER" },
    { "{\"kind\":\"login\",\"adapterId\":\"ed25519\",\"subject\":\"" NIMIQ_VECTOR_ADDRESS "\"}",
      400, "UNSUPPORTED_ADAPTER" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CtResponse) response = ct_post (f, "start", cases[i].body);

      ct_response_assert_error (response, cases[i].status, cases[i].code);
    }
}

static void
test_envelope_and_message (CtFixture     *f,
                           gconstpointer  data)
{
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *subject = NULL;
  g_autofree char *subject_json = NULL;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtOrder) anonymous = ct_order_start (f, "login", NULL);
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(JsonNode) anonymous_envelope = NULL;
  g_autofree char *expected_tail = NULL;
  JsonObject *o, *details;

  ct_seed_for (0, seed);
  subject = ct_ed25519_subject (seed);
  subject_json = g_strdup_printf ("\"%s\"", subject);
  order = waiting_order (f, "login", subject_json);

  envelope = ct_order_challenge (f, order);
  o = json_node_get_object (envelope);
  g_assert_cmpstr (ct_json_string (o, "subject"), ==, subject);
  details = ct_json_object (o, "details");
  g_assert_cmpstr (ct_json_string (details, "subject"), ==, subject);
  g_assert_cmpuint (json_object_get_size (details), ==, 5);

  /* Sorted details: between orderId and summary. */
  expected_tail = g_strdup_printf ("\nkind: login\norderId: %s\nsubject: %s\nsummary: "
                                   "Approve login for Crossing.\ntitle: Crossing login",
                                   order->order_id, subject);
  g_assert_true (g_str_has_suffix (order->message, expected_tail));

  /* Only identified orders have the line. */
  ct_order_claim (f, anonymous);
  anonymous_envelope = ct_order_challenge (f, anonymous);
  o = json_node_get_object (anonymous_envelope);
  g_assert_false (json_object_has_member (o, "subject"));
  g_assert_false (json_object_has_member (ct_json_object (o, "details"), "subject"));
  g_assert_null (strstr (anonymous->message, "subject:"));
}

/* PROTOCOL.md's checks, with ed25519 keys. */
static void
test_other_signer_ed25519 (CtFixture     *f,
                           gconstpointer  data)
{
  guint8 right[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *subject = NULL;
  g_autofree char *subject_json = NULL;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CtResponse) finalized = NULL;

  ct_seed_for (5, right);
  subject = ct_ed25519_subject (right);
  subject_json = g_strdup_printf ("\"%s\"", subject);
  order = waiting_order (f, "sign", subject_json);

  /* Twice another key: 403, and the order keeps waiting for the right one. */
  ct_seed_for (6, order->seed);
  ct_order_sign (order);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(CtResponse) wrong = ct_order_send_approve (f, order);
      const char *message = ct_response_assert_error (wrong, 403, "SUBJECT_MISMATCH");
      g_autofree char *shown = g_strndup (subject, strlen ("ed25519:") + 16);

      g_assert_nonnull (strstr (message, shown));
      g_assert_cmpint (stored_status (f, order->order_id), ==, CROSSING_STATUS_WAITING_USER);
    }

  memcpy (order->seed, right, sizeof right);
  ct_order_sign (order);
  approved = ct_order_send_approve (f, order);
  g_assert_cmpuint (approved->status, ==, 200);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (finalized),
                                                   "proofArtifact"), "subject"), ==, subject);
}

static void
test_three_mismatches_reject (CtFixture     *f,
                              gconstpointer  data)
{
  guint8 right[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *subject = NULL;
  g_autofree char *subject_json = NULL;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(CtResponse) too_late = NULL;
  g_autoptr(CtResponse) bad_proof = NULL;
  g_autoptr(JsonNode) last = NULL;
  GPtrArray *events;
  CtEvent *event;

  ct_seed_for (5, right);
  subject = ct_ed25519_subject (right);
  subject_json = g_strdup_printf ("\"%s\"", subject);
  order = waiting_order (f, "login", subject_json);
  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);

  /* A proof that does not verify is not a mismatch: it counts nothing. */
  ct_order_sign (order);
  g_free (order->signature_hex);
  order->signature_hex = g_strnfill (128, '0');
  bad_proof = ct_order_send_approve (f, order);
  ct_response_assert_error (bad_proof, 401, "INVALID_PROOF");

  ct_seed_for (7, order->seed);
  ct_order_sign (order);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CtResponse) wrong = ct_order_send_approve (f, order);

      ct_response_assert_error (wrong, 403, "SUBJECT_MISMATCH");
    }

  g_assert_true (ct_event_stream_wait_end (stream));
  events = ct_event_stream_get_events (stream);
  event = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpstr (event->event, ==, "rejected");
  last = ct_event_parse_data (event);
  g_assert_cmpstr (ct_json_string (json_node_get_object (last), "reason"), ==,
                   "subject_mismatch");

  memcpy (order->seed, right, sizeof right);
  ct_order_sign (order);
  too_late = ct_order_send_approve (f, order);
  ct_response_assert_error (too_late, 400, "TRANSITION_CONFLICT");
}

/* The same on nimiq-pay, with the contract's vector key as the signer. */
static void
test_nimiq_pay (CtFixture     *f,
                gconstpointer  data)
{
  g_autoptr(CtOrder) order = waiting_order (f, "transaction", "\"" NIMIQ_VECTOR_ADDRESS "\"");
  g_autoptr(CtResponse) wrong = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CtResponse) finalized = NULL;
  JsonObject *artifact;

  g_assert_cmpstr (order->adapter_id, ==, "nimiq-pay");
  g_assert_nonnull (strstr (order->message, "\nsubject: " NIMIQ_VECTOR_ADDRESS "\n"));

  ct_seed_for (3, order->seed);
  ct_order_sign (order);
  wrong = ct_order_send_approve (f, order);
  ct_response_assert_error (wrong, 403, "SUBJECT_MISMATCH");
  g_assert_cmpint (stored_status (f, order->order_id), ==, CROSSING_STATUS_WAITING_USER);

  g_assert_true (crossing_hex_decode (NIMIQ_VECTOR_SEED, order->seed, sizeof order->seed));
  ct_order_sign (order);
  approved = ct_order_send_approve (f, order);
  g_assert_cmpuint (approved->status, ==, 200);
  finalized = ct_order_finalize (f, order);
  artifact = ct_json_object (ct_response_object (finalized), "proofArtifact");
  g_assert_cmpstr (ct_json_string (artifact, "subject"), ==, NIMIQ_VECTOR_ADDRESS);
  g_assert_cmpstr (ct_json_string (artifact, "adapterId"), ==, "nimiq-pay");
}

/* Start never says whether a subject may sign in; approve does, as ever. */
static void
setup_closed (CtFixture     *f,
              gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->registration_open = FALSE;
  ct_fixture_start (f);
}

static void
test_no_enumeration_at_start (CtFixture     *f,
                              gconstpointer  data)
{
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *subject = NULL;
  g_autofree char *subject_json = NULL;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) refused = NULL;

  ct_seed_for (0, seed);
  subject = ct_ed25519_subject (seed);
  subject_json = g_strdup_printf ("\"%s\"", subject);
  order = waiting_order (f, "login", subject_json);
  ct_order_sign (order);
  refused = ct_order_send_approve (f, order);
  ct_response_assert_error (refused, 401, "UNABLE_TO_RESOLVE_APPROVED_LOGIN");
}

/* The engine-level entry other features use (a ledger hold's transaction
 * order, "sign in again as"), without HTTP. */
static void
test_engine_api (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-identified-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "store.db", NULL);
  g_autoptr(CompanionConfig) config = companion_config_new_default ();
  g_autoptr(CompanionStore) store = NULL;
  g_autoptr(CompanionEngine) engine = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) mismatched = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  CompanionStartRequest request = {
    .kind = CROSSING_KIND_TRANSACTION,
    .adapter = CROSSING_ADAPTER_INVALID,
    .subject = "nq71 ct4k 7r9r ehsb 7hy9 tstp xnrq l2rk 8u4u",
    .summary = "Pay 1.00 EUR: coffee",
  };

  g_assert_no_error (error);
  companion_config_set_listening_url (config, "http://127.0.0.1:1");
  store = companion_store_open (db, &error);
  g_assert_no_error (error);
  engine = companion_engine_new (config, store);

  started = companion_engine_start (engine, &request, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ct_json_string (json_node_get_object (started), "subject"), ==,
                   NIMIQ_VECTOR_ADDRESS);
  g_assert_cmpstr (ct_json_string (json_node_get_object (started), "adapterId"), ==,
                   "nimiq-pay");
  stored = companion_store_get_order (store, ct_json_string (json_node_get_object (started),
                                                             "orderId"), &error);
  g_assert_no_error (error);
  g_assert_true (stored->identified);
  g_assert_cmpstr (stored->subject, ==, NIMIQ_VECTOR_ADDRESS);
  /* The origin is the public one when no request gave another. */
  g_assert_cmpstr (stored->origin, ==, "http://127.0.0.1:1");

  request.adapter = CROSSING_ADAPTER_ED25519;
  mismatched = companion_engine_start (engine, &request, &error);
  g_assert_null (mismatched);
  g_assert_error (error, CROSSING_ERROR, CROSSING_ERROR_UNSUPPORTED_ADAPTER);

  g_clear_object (&engine);
  companion_store_close (store);
  g_clear_object (&store);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_remove (path);
      }
  }
  g_rmdir (dir);
}

static void
test_subject_helpers (void)
{
  CrossingAdapter adapter = CROSSING_ADAPTER_INVALID;
  g_autofree char *nimiq = crossing_subject_normalize ("NQ71CT4K7R9REHSB7HY9TSTPXNRQL2RK8U4U",
                                                       &adapter);
  g_autofree char *short_ed = crossing_subject_short_form (
    "ed25519:0a9b55420d3664996800f1d48f5683ced9b6666fd7d09e61641826f177350980");
  g_autofree char *short_nimiq = crossing_subject_short_form (NIMIQ_VECTOR_ADDRESS);

  g_assert_cmpstr (nimiq, ==, NIMIQ_VECTOR_ADDRESS);
  g_assert_cmpint (adapter, ==, CROSSING_ADAPTER_NIMIQ_PAY);
  g_assert_cmpstr (short_ed, ==, "ed25519:0a9b55420d366499");
  g_assert_cmpstr (short_nimiq, ==, NIMIQ_VECTOR_ADDRESS);
  g_assert_null (crossing_subject_normalize ("ed25519:", NULL));
  g_assert_null (crossing_subject_normalize ("NQ07 0000", NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/identified/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)

  g_test_add_func ("/companion/identified/subject-helpers", test_subject_helpers);
  g_test_add_func ("/companion/identified/engine-start-from-c", test_engine_api);
  ADD ("start-echoes-normalized-subject", test_start_echoes_normalized_subject);
  ADD ("start-refuses-bad-subjects", test_start_refuses_bad_subjects);
  ADD ("envelope-and-signed-subject-line", test_envelope_and_message);
  ADD ("ed25519/other-signer-403-then-right-key", test_other_signer_ed25519);
  ADD ("ed25519/third-mismatch-rejects", test_three_mismatches_reject);
  ADD ("nimiq-pay/vector-key-approves", test_nimiq_pay);
  g_test_add ("/companion/identified/start-never-enumerates", CtFixture, NULL, setup_closed,
              test_no_enumeration_at_start, ct_fixture_teardown);

  return g_test_run ();
}
