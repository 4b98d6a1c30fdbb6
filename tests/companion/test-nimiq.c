/* test-nimiq.c: Nimiq direct sign-in (/nimiq/nonce, /nimiq/verify, /nimiq/sign-in)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "crossing-nimiq.h"
#include "crossing-token.h"

#include "companion-test-utils.h"

#define NONCE      "/api/auth/nimiq/nonce"
#define VERIFY     "/api/auth/nimiq/verify"
#define N_RACERS   20

/* The contract's key pair (PROTOCOL.md, the nimiq-pay adapter's vector). */
#define VECTOR_SEED    "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e"
#define VECTOR_ADDRESS "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U"
#define OTHER_ORIGIN   "https://app.example.org"
#define THIRD_ORIGIN   "https://other.example.org"
#define ZERO_ADDRESS   "NQ07 0000 0000 0000 0000 0000 0000 0000 0000"   /* another key */

typedef void (*Tweak) (CompanionConfig *config);

typedef struct {
  Tweak tweak;
} Setup;

static void
setup (CtFixture     *f,
       gconstpointer  data)
{
  const Setup *s = data;
  static const char *origins[] = { OTHER_ORIGIN, THIRD_ORIGIN, NULL };

  ct_fixture_init (f);
  f->config->trusted_origins = g_strdupv ((char **) origins);
  if (s != NULL && s->tweak != NULL)
    s->tweak (f->config);
  ct_fixture_start (f);
}

static void
short_ttl (CompanionConfig *config)
{
  config->nimiq_nonce_ttl = 1;
}

static void
closed (CompanionConfig *config)
{
  config->registration_open = FALSE;
}

static void
few_failures (CompanionConfig *config)
{
  config->max_failures_per_minute = 3;
}

static void
few_starts (CompanionConfig *config)
{
  config->max_starts_per_minute = 2;
}

static void
few_pending (CompanionConfig *config)
{
  config->max_pending_orders = 2;
}

static const Setup setup_short_ttl = { short_ttl };
static const Setup setup_closed = { closed };
static const Setup setup_few_failures = { few_failures };
static const Setup setup_few_starts = { few_starts };
static const Setup setup_few_pending = { few_pending };

typedef struct {
  char   *nonce_id;
  char   *nonce;
  char   *message;
  char   *origin;
  gint64  issued_at;
  gint64  expires_at;
} Issued;

static void
issued_free (Issued *issued)
{
  g_free (issued->nonce_id);
  g_free (issued->nonce);
  g_free (issued->message);
  g_free (issued->origin);
  g_free (issued);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Issued, issued_free)

static SoupMessage *
post_with_origin (CtFixture  *f,
                  const char *endpoint,
                  const char *origin,
                  const char *json)
{
  SoupMessage *msg = ct_message_new_post (f, endpoint, "application/json", json, -1);

  if (origin != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  return msg;
}

static CtResponse *
send_post (CtFixture  *f,
           const char *endpoint,
           const char *origin,
           const char *json)
{
  g_autoptr(SoupMessage) msg = post_with_origin (f, endpoint, origin, json);

  return ct_send (f, msg);
}

/* POST /nonce (empty body, no Content-Type), asserting the contract's shape. */
static Issued *
issue (CtFixture  *f,
       const char *origin)
{
  g_autoptr(SoupMessage) msg = ct_message_new_post (f, NONCE, NULL, NULL, 0);
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *expected = NULL;
  Issued *issued = g_new0 (Issued, 1);
  JsonObject *object;

  if (origin != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", origin);
  response = ct_send (f, msg);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Cache-Control"), ==,
                   "no-store");
  object = ct_response_object (response);
  issued->nonce_id = g_strdup (ct_json_string (object, "nonceId"));
  issued->nonce = g_strdup (ct_json_string (object, "nonce"));
  issued->message = g_strdup (ct_json_string (object, "message"));
  issued->origin = g_strdup (ct_json_string (object, "origin"));
  issued->issued_at = ct_json_int (object, "issuedAt");
  issued->expires_at = ct_json_int (object, "expiresAt");

  g_assert_true (crossing_token_is_well_formed (issued->nonce_id));
  g_assert_cmpuint (strlen (issued->nonce_id), >=, 22);   /* 128 bits and more */
  g_assert_true (crossing_token_is_well_formed (issued->nonce));
  g_assert_cmpuint (strlen (issued->nonce), ==, 32);
  g_assert_cmpstr (issued->origin, ==, origin != NULL ? origin : f->config->public_origin);
  g_assert_cmpint (issued->expires_at - issued->issued_at, ==,
                   (gint64) f->config->nimiq_nonce_ttl * 1000);
  g_assert_null (strstr (issued->message, issued->nonce_id));
  expected = crossing_nimiq_sign_in_message (f->config->app_name, issued->origin, issued->nonce,
                                             issued->issued_at, issued->expires_at);
  g_assert_cmpstr (issued->message, ==, expected);
  return issued;
}

static void
vector_seed (guint8 seed[CROSSING_ED25519_SEED_BYTES])
{
  g_assert_true (crossing_hex_decode (VECTOR_SEED, seed, CROSSING_ED25519_SEED_BYTES));
}

/* The /verify body for @issued signed by @seed, with @address (or none). */
static char *
verify_body (const Issued *issued,
             const guint8  seed[CROSSING_ED25519_SEED_BYTES],
             const char   *address)
{
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  crossing_proof_sign (CROSSING_ADAPTER_NIMIQ_PAY, issued->message, seed, &public_key,
                       &signature);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "nonceId");
  json_builder_add_string_value (b, issued->nonce_id);
  json_builder_set_member_name (b, "publicKeyHex");
  json_builder_add_string_value (b, public_key);
  json_builder_set_member_name (b, "signatureHex");
  json_builder_add_string_value (b, signature);
  if (address != NULL)
    {
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, address);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static CtResponse *
verify (CtFixture    *f,
        const Issued *issued,
        const char   *origin,
        const char   *address)
{
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *body = NULL;

  vector_seed (seed);
  body = verify_body (issued, seed, address);
  return send_post (f, VERIFY, origin, body);
}

static char *
assert_signed_in (CtResponse *response,
                  const char *subject)
{
  JsonObject *object = ct_response_object (response);
  JsonObject *user;
  const char *token;
  const char *cookie;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_true (ct_json_bool (object, "ok"));
  token = ct_json_string (object, "token");
  g_assert_cmpuint (strlen (token), >=, 43);   /* 256 bits */
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "set-auth-token"), ==, token);
  cookie = soup_message_headers_get_list (response->headers, "Set-Cookie");
  g_assert_nonnull (cookie);
  g_assert_nonnull (strstr (cookie, CROSSING_SESSION_COOKIE "="));
  g_assert_nonnull (strstr (cookie, token));
  user = ct_json_object (object, "user");
  ct_json_string (user, "id");
  g_assert_cmpstr (ct_json_string (user, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (user, "name"), ==, subject);
  return g_strdup (token);
}

static JsonObject *
get_session (CtFixture  *f,
             const char *token,
             CtResponse **out_response)
{
  g_autoptr(SoupMessage) msg = ct_message_new (f, "GET", "/api/auth/get-session");
  g_autofree char *bearer = g_strdup_printf ("Bearer %s", token);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  *out_response = ct_send (f, msg);
  g_assert_cmpuint ((*out_response)->status, ==, 200);
  return ct_response_object (*out_response);
}

static void
test_vector_key_signs_in (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtResponse) response = verify (f, issued, NULL, VECTOR_ADDRESS);
  g_autoptr(CtResponse) session = NULL;
  g_autofree char *token = assert_signed_in (response, VECTOR_ADDRESS);
  JsonObject *object = get_session (f, token, &session);

  g_assert_cmpstr (ct_json_string (ct_json_object (object, "user"), "subject"), ==,
                   VECTOR_ADDRESS);
  g_assert_cmpstr (ct_json_string (ct_json_object (object, "user"), "id"), ==,
                   ct_json_string (ct_json_object (ct_response_object (response), "user"), "id"));
}

static void
test_second_sign_in_finds_the_same_user (CtFixture     *f,
                                         gconstpointer  data)
{
  g_autoptr(Issued) first = issue (f, NULL);
  g_autoptr(Issued) second = issue (f, OTHER_ORIGIN);
  g_autoptr(CtResponse) one = verify (f, first, NULL, NULL);
  g_autoptr(CtResponse) two = verify (f, second, OTHER_ORIGIN, NULL);
  g_autofree char *token_one = assert_signed_in (one, VECTOR_ADDRESS);
  g_autofree char *token_two = assert_signed_in (two, VECTOR_ADDRESS);

  g_assert_cmpstr (token_one, !=, token_two);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (one), "user"), "id"), ==,
                   ct_json_string (ct_json_object (ct_response_object (two), "user"), "id"));
}

/* The nimiq-pay adapter of cross-device and this flow give one subject. */
static void
test_same_user_as_cross_device_nimiq_pay (CtFixture     *f,
                                          gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", "\"adapterId\":\"nimiq-pay\"");
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autoptr(Issued) issued = NULL;
  g_autoptr(CtResponse) response = NULL;
  g_autofree char *public_key = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *body = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *token = NULL;
  guint8 key[CROSSING_ED25519_PUBLIC_KEY_BYTES];
  JsonObject *user;

  ct_order_approve (f, order);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  user = ct_json_object (get_session (f, ct_json_string (ct_response_object (finalized), "token"),
                                      &session),
                         "user");

  issued = issue (f, NULL);
  body = verify_body (issued, order->seed, NULL);
  response = send_post (f, VERIFY, NULL, body);
  g_assert_true (crossing_hex_decode (order->public_key_hex, key, sizeof key));
  subject = crossing_nimiq_address_from_public_key (key);
  token = assert_signed_in (response, subject);
  g_assert_cmpstr (ct_json_string (user, "subject"), ==, subject);
  g_assert_cmpstr (ct_json_string (user, "id"), ==,
                   ct_json_string (ct_json_object (ct_response_object (response), "user"), "id"));
}

static void
test_nonce_untrusted_origin (CtFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(CtResponse) response = send_post (f, NONCE, "https://evil.example", "{}");

  ct_response_assert_error (response, 400, "UNTRUSTED_ORIGIN");
}

static void
test_nonce_json_body_accepted (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtResponse) response = send_post (f, NONCE, NULL, "{}");

  g_assert_cmpuint (response->status, ==, 200);
  ct_json_string (ct_response_object (response), "nonceId");
}

static void
test_address_forms (CtFixture     *f,
                    gconstpointer  data)
{
  static const char *forms[] = {
    "NQ71CT4K7R9REHSB7HY9TSTPXNRQL2RK8U4U",
    "nq71 ct4k 7r9r ehsb 7hy9 tstp xnrq l2rk 8u4u",
    VECTOR_ADDRESS,
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr(Issued) issued = issue (f, NULL);
      g_autoptr(CtResponse) response = verify (f, issued, NULL, forms[i]);
      g_autofree char *token = assert_signed_in (response, VECTOR_ADDRESS);
    }
}

static void
test_wrong_address_is_invalid_proof (CtFixture     *f,
                                     gconstpointer  data)
{
  static const char *wrong[] = {
    ZERO_ADDRESS,
    "NQ72 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U",   /* bad check digits */
    "not an address",
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(Issued) issued = issue (f, NULL);
      g_autoptr(CtResponse) response = verify (f, issued, NULL, wrong[i]);

      ct_response_assert_error (response, 401, "INVALID_PROOF");
      g_assert_null (soup_message_headers_get_one (response->headers, "set-auth-token"));
    }
}

static void
test_bad_signature_is_invalid_proof (CtFixture     *f,
                                     gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(Issued) other = issue (f, NULL);
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *body = NULL;
  g_autofree char *other_body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CtResponse) response = NULL;
  JsonObject *object;

  /* The signature of another nonce's message, sent for this one. */
  vector_seed (seed);
  other_body = verify_body (other, seed, NULL);
  node = json_from_string (other_body, NULL);
  object = json_node_get_object (node);
  json_object_set_string_member (object, "nonceId", issued->nonce_id);
  body = json_to_string (node, FALSE);
  response = send_post (f, VERIFY, NULL, body);
  ct_response_assert_error (response, 401, "INVALID_PROOF");
}

static void
test_replay_after_success (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtResponse) first = verify (f, issued, NULL, NULL);
  g_autoptr(CtResponse) second = verify (f, issued, NULL, NULL);
  g_autofree char *token = assert_signed_in (first, VECTOR_ADDRESS);

  ct_response_assert_error (second, 401, "INVALID_NONCE");
}

/* The first verify uses the nonce up whatever its outcome. */
static void
test_replay_after_failure (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtResponse) first = verify (f, issued, NULL, ZERO_ADDRESS);
  g_autoptr(CtResponse) second = verify (f, issued, NULL, NULL);

  ct_response_assert_error (first, 401, "INVALID_PROOF");
  ct_response_assert_error (second, 401, "INVALID_NONCE");
}

static void
test_origin_mismatch_uses_nonce_up (CtFixture     *f,
                                    gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, OTHER_ORIGIN);
  g_autoptr(CtResponse) mismatch = verify (f, issued, THIRD_ORIGIN, NULL);
  g_autoptr(CtResponse) again = verify (f, issued, OTHER_ORIGIN, NULL);

  ct_response_assert_error (mismatch, 400, "ORIGIN_MISMATCH");
  ct_response_assert_error (again, 401, "INVALID_NONCE");
}

/* No Origin header (a native client) is allowed: the origin is in the message. */
static void
test_verify_without_origin (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, OTHER_ORIGIN);
  g_autoptr(CtResponse) response = verify (f, issued, NULL, NULL);
  g_autofree char *token = assert_signed_in (response, VECTOR_ADDRESS);

  g_assert_nonnull (strstr (issued->message, "Origin: " OTHER_ORIGIN "\n"));
}

static void
test_expired_nonce (CtFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtResponse) response = NULL;

  g_assert_cmpint (issued->expires_at - issued->issued_at, ==, 1000);
  g_usleep (1100 * 1000);
  response = verify (f, issued, NULL, NULL);
  ct_response_assert_error (response, 401, "INVALID_NONCE");
}

static void
test_unknown_nonce (CtFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtResponse) unknown = NULL;
  g_autoptr(CtResponse) malformed = NULL;

  g_free (issued->nonce_id);
  issued->nonce_id = crossing_token_new (CROSSING_TOKEN_BYTES);
  unknown = verify (f, issued, NULL, NULL);
  ct_response_assert_error (unknown, 401, "INVALID_NONCE");

  g_free (issued->nonce_id);
  issued->nonce_id = g_strdup ("not a token!");
  malformed = verify (f, issued, NULL, NULL);
  ct_response_assert_error (malformed, 401, "INVALID_NONCE");
}

#define ZEROS32 "00000000000000000000000000000000"
#define HEX64   ZEROS32 ZEROS32
#define HEX128  HEX64 HEX64

static void
test_malformed_fields (CtFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  /* The members after "nonceId"; NULL members are left out. */
  static const struct {
    gboolean    with_nonce_id;
    const char *rest;
  } cases[] = {
    { FALSE, "\"publicKeyHex\":\"" HEX64 "\",\"signatureHex\":\"" HEX128 "\"" },
    { TRUE, "\"signatureHex\":\"" HEX128 "\"" },
    { TRUE, "\"publicKeyHex\":\"" HEX64 "\"" },
    { TRUE, "\"publicKeyHex\":\"" HEX64 "0\",\"signatureHex\":\"" HEX128 "\"" },
    { TRUE, "\"publicKeyHex\":\"" ZEROS32 "\",\"signatureHex\":\"" HEX128 "\"" },
    { TRUE, "\"publicKeyHex\":\"xz" ZEROS32 "000000000000000000000000000000\",\"signatureHex\":\""
      HEX128 "\"" },
    { TRUE, "\"publicKeyHex\":\"" HEX64 "\",\"signatureHex\":\"" HEX64 "\"" },
    { TRUE, "\"publicKeyHex\":\"" HEX64 "\",\"signatureHex\":\"" HEX128 "\",\"address\":7" },
    { TRUE, "\"publicKeyHex\":[],\"signatureHex\":\"" HEX128 "\"" },
    { FALSE, "\"nonceId\":7,\"publicKeyHex\":\"" HEX64 "\",\"signatureHex\":\"" HEX128 "\"" },
  };
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *good = NULL;
  g_autofree char *upper_body = NULL;
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CtResponse) accepted = NULL;
  JsonObject *object;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = NULL;
      g_autoptr(CtResponse) response = NULL;

      if (cases[i].with_nonce_id)
        body = g_strdup_printf ("{\"nonceId\":\"%s\",%s}", issued->nonce_id, cases[i].rest);
      else
        body = g_strdup_printf ("{%s}", cases[i].rest);
      g_test_message ("case %u: %s", i, body);
      response = send_post (f, VERIFY, NULL, body);
      ct_response_assert_error (response, 400, "INVALID_REQUEST");
    }

  /* None of them used the nonce up, and upper-case hex is accepted. */
  vector_seed (seed);
  good = verify_body (issued, seed, NULL);
  node = json_from_string (good, NULL);
  object = json_node_get_object (node);
  {
    g_autofree char *key = g_ascii_strup (json_object_get_string_member (object, "publicKeyHex"),
                                          -1);
    g_autofree char *signature = g_ascii_strup (json_object_get_string_member (object,
                                                                               "signatureHex"),
                                                -1);

    json_object_set_string_member (object, "publicKeyHex", key);
    json_object_set_string_member (object, "signatureHex", signature);
  }
  upper_body = json_to_string (node, FALSE);
  accepted = send_post (f, VERIFY, NULL, upper_body);
  token = assert_signed_in (accepted, VECTOR_ADDRESS);
}

static void
test_registration_closed (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(Issued) refused_nonce = issue (f, NULL);
  g_autoptr(CtResponse) refused = verify (f, refused_nonce, NULL, NULL);
  g_autoptr(Issued) known_nonce = NULL;
  g_autoptr(CtResponse) known = NULL;
  g_autoptr(GError) error = NULL;
  CompanionUser user = {
    .id = (char *) "operator-added",
    .subject = (char *) VECTOR_ADDRESS,
    .name = (char *) "Alice",
    .created_at = 1,
  };
  JsonObject *object;

  ct_response_assert_error (refused, 401, "UNABLE_TO_RESOLVE_APPROVED_LOGIN");
  g_assert_null (soup_message_headers_get_one (refused->headers, "set-auth-token"));

  g_assert_true (companion_store_add_user (ct_fixture_get_store (f), &user, &error));
  g_assert_no_error (error);
  known_nonce = issue (f, NULL);
  known = verify (f, known_nonce, NULL, NULL);
  g_assert_cmpuint (known->status, ==, 200);
  object = ct_json_object (ct_response_object (known), "user");
  g_assert_cmpstr (ct_json_string (object, "id"), ==, "operator-added");
  g_assert_cmpstr (ct_json_string (object, "name"), ==, "Alice");
}

static gint64
count_sessions (CtFixture *f)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (f->db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM sessions", -1, &s, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  sqlite3_close (db);
  return n;
}

static void
test_concurrent_verifies (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *body = NULL;
  guint ok = 0, used = 0;

  vector_seed (seed);
  body = verify_body (issued, seed, NULL);
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autoptr(SoupMessage) msg = post_with_origin (f, VERIFY, NULL, body);

      ct_batch_add (batch, msg);
    }
  responses = ct_batch_wait (batch);

  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);

      if (response->status == 200)
        {
          g_autofree char *token = assert_signed_in (response, VECTOR_ADDRESS);

          ok++;
        }
      else
        {
          ct_response_assert_error (response, 401, "INVALID_NONCE");
          g_assert_null (soup_message_headers_get_one (response->headers, "set-auth-token"));
          used++;
        }
    }
  g_assert_cmpuint (ok, ==, 1);
  g_assert_cmpuint (used, ==, N_RACERS - 1);
  g_assert_cmpint (count_sessions (f), ==, 1);
}

static void
test_failed_verifies_count_as_failed_attempts (CtFixture     *f,
                                               gconstpointer  data)
{
  g_autoptr(Issued) issued = issue (f, NULL);
  g_autoptr(CtResponse) limited = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CtResponse) response = verify (f, issued, NULL, ZERO_ADDRESS);

      g_assert_cmpuint (response->status, ==, 401);
    }
  limited = verify (f, issued, NULL, NULL);
  ct_response_assert_error (limited, 429, "RATE_LIMITED");
  g_assert_nonnull (soup_message_headers_get_one (limited->headers, "Retry-After"));
}

static void
test_nonces_count_as_starts (CtFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(Issued) one = issue (f, NULL);
  g_autoptr(Issued) two = issue (f, NULL);
  g_autoptr(CtResponse) third = send_post (f, NONCE, NULL, "{}");

  ct_response_assert_error (third, 429, "RATE_LIMITED");
}

/* Live nonces are counted by the store as pending orders: a cross-device
 * start is refused once they fill max-pending-orders. */
static void
test_nonces_count_as_pending (CtFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(Issued) one = issue (f, NULL);
  g_autoptr(Issued) two = issue (f, NULL);
  g_autoptr(CtResponse) start = NULL;

  /* The limits count the store at most once a second. */
  g_usleep (1100 * 1000);
  start = ct_post (f, "start", "{\"kind\":\"login\"}");
  ct_response_assert_error (start, 429, "RATE_LIMITED");
}

static void
test_page (CtFixture     *f,
           gconstpointer  data)
{
  static const struct {
    const char *path;
    const char *type_prefix;
  } files[] = {
    { "/nimiq/sign-in", "text/html" },
    { "/nimiq/assets/sign-in.js", "text/javascript" },
    { "/nimiq/assets/sign-in.css", "text/css" },
  };
  g_autoptr(CtResponse) missing = NULL;
  g_autoptr(SoupMessage) head = NULL;
  g_autoptr(CtResponse) head_response = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(CtResponse) response = ct_get (f, files[i].path);
      const char *csp = soup_message_headers_get_one (response->headers,
                                                      "Content-Security-Policy");

      g_assert_cmpuint (response->status, ==, 200);
      g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (response->headers,
                                                                              NULL),
                                       files[i].type_prefix));
      g_assert_nonnull (csp);
      g_assert_nonnull (strstr (csp, "script-src 'self'"));
      if (i == 0)
        {
          gsize len;
          const char *html = g_bytes_get_data (response->body, &len);
          g_autofree char *text = g_strndup (html, len);

          g_assert_nonnull (strstr (text, "content=\"/api/auth/nimiq\""));
          g_assert_nonnull (strstr (text, "src=\"assets/sign-in.js\""));
          g_assert_null (strstr (text, "<script>"));
        }
    }

  missing = ct_get (f, "/nimiq/assets/claim.js");
  ct_response_assert_error (missing, 404, "NOT_FOUND");

  head = ct_message_new (f, "HEAD", "/nimiq/sign-in");
  head_response = ct_send (f, head);
  g_assert_cmpuint (head_response->status, ==, 200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  crossing_crypto_init ();

#define ADD(path, setup_data, fn) \
  g_test_add ("/companion/nimiq/" path, CtFixture, setup_data, setup, fn, ct_fixture_teardown)

  ADD ("vector-key-signs-in-and-get-session-accepts-the-token", NULL, test_vector_key_signs_in);
  ADD ("second-sign-in-finds-the-same-user", NULL, test_second_sign_in_finds_the_same_user);
  ADD ("same-user-as-cross-device-nimiq-pay", NULL, test_same_user_as_cross_device_nimiq_pay);
  ADD ("nonce/untrusted-origin", NULL, test_nonce_untrusted_origin);
  ADD ("nonce/json-body-accepted", NULL, test_nonce_json_body_accepted);
  ADD ("nonce/counts-against-starts-per-minute", &setup_few_starts, test_nonces_count_as_starts);
  ADD ("nonce/live-nonces-count-as-pending-orders", &setup_few_pending,
       test_nonces_count_as_pending);
  ADD ("verify/address-with-or-without-spaces-any-case", NULL, test_address_forms);
  ADD ("verify/wrong-address-is-invalid-proof", NULL, test_wrong_address_is_invalid_proof);
  ADD ("verify/signature-of-another-message-is-invalid-proof", NULL,
       test_bad_signature_is_invalid_proof);
  ADD ("verify/replay-after-success-is-invalid-nonce", NULL, test_replay_after_success);
  ADD ("verify/replay-after-failure-is-invalid-nonce", NULL, test_replay_after_failure);
  ADD ("verify/origin-mismatch-uses-the-nonce-up", NULL, test_origin_mismatch_uses_nonce_up);
  ADD ("verify/without-origin-header", NULL, test_verify_without_origin);
  ADD ("verify/expired-nonce-is-invalid-nonce", &setup_short_ttl, test_expired_nonce);
  ADD ("verify/unknown-or-malformed-nonce-id-is-invalid-nonce", NULL, test_unknown_nonce);
  ADD ("verify/malformed-fields-are-invalid-request", NULL, test_malformed_fields);
  ADD ("verify/registration-closed-finds-only-known-users", &setup_closed,
       test_registration_closed);
  ADD ("verify/twenty-concurrent-one-session", NULL, test_concurrent_verifies);
  ADD ("verify/failures-count-as-failed-attempts", &setup_few_failures,
       test_failed_verifies_count_as_failed_attempts);
  ADD ("page/sign-in-and-assets", NULL, test_page);

#undef ADD
  return g_test_run ();
}
