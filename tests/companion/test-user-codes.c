/* test-user-codes.c: a code typed instead of the QR scanned, and its limits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "crossing-token.h"

#include "companion-engine.h"
#include "companion-limits.h"
#include "companion-test-utils.h"

typedef struct {
  CtOrder *order;
  char    *user_code;        /* "XXXX-XXXX" */
} CodeOrder;

static void
code_order_free (CodeOrder *c)
{
  ct_order_free (c->order);
  g_free (c->user_code);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CodeOrder, code_order_free)

static gboolean
is_shown_code (const char *code)
{
  return g_regex_match_simple ("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", code, 0,
                               0);
}

/* Starts an order with a user code and asserts it got one. */
static CodeOrder *
start_with_code (CtFixture  *f,
                 const char *kind)
{
  g_autoptr(CtResponse) response = NULL;
  CodeOrder *c = g_new0 (CodeOrder, 1);
  g_autofree char *expected_uri = g_strconcat (f->url, "/cross-device/code", NULL);
  JsonObject *o;

  response = ct_post_printf (f, "start", "{\"kind\":\"%s\",\"userCode\":true}", kind);
  g_assert_cmpuint (response->status, ==, 200);
  o = ct_response_object (response);
  c->user_code = g_strdup (ct_json_string (o, "userCode"));
  g_assert_true (is_shown_code (c->user_code));
  g_assert_cmpstr (ct_json_string (o, "verificationUri"), ==, expected_uri);

  c->order = g_new0 (CtOrder, 1);
  c->order->order_id = g_strdup (ct_json_string (o, "orderId"));
  c->order->kind = g_strdup (kind);
  c->order->adapter_id = g_strdup (ct_json_string (o, "adapterId"));
  c->order->claim_token = g_strdup (ct_json_string (o, "claimToken"));
  c->order->desktop_token = g_strdup (ct_json_string (o, "desktopToken"));
  c->order->event_token = g_strdup (ct_json_string (o, "eventToken"));
  c->order->expires_at = ct_json_int (o, "expiresAt");
  ct_seed_for (0, c->order->seed);
  return c;
}

static SoupMessage *
claim_message (CtFixture  *f,
               const char *user_code,
               const char *forwarded_for)
{
  g_autofree char *body = g_strdup_printf ("{\"userCode\":\"%s\"}", user_code);
  SoupMessage *msg = ct_message_new_post (f, "claim-by-code", "application/json", body, -1);

  if (forwarded_for != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                  forwarded_for);
  return msg;
}

static CtResponse *
claim_by_code (CtFixture  *f,
               const char *user_code,
               const char *forwarded_for)
{
  g_autoptr(SoupMessage) msg = claim_message (f, user_code, forwarded_for);

  return ct_send (f, msg);
}

static CrossingStatus
stored_status (CtFixture  *f,
               const char *order_id)
{
  g_autoptr(CompanionOrder) stored = companion_store_get_order (ct_fixture_get_store (f),
                                                                order_id, NULL);

  return stored->status;
}

/* A code that no live order has: the first letter moved on by one. */
static char *
other_code (const char *code,
            guint       n)
{
  const char *alphabet = COMPANION_USER_CODE_ALPHABET;
  char *other = g_strdup (code);
  guint i = strchr (alphabet, other[0]) - alphabet;

  other[0] = alphabet[(i + 1 + n / 20) % 20];
  other[1] = alphabet[n % 20];
  return other;
}

static void
assert_rate_limited (CtResponse *response)
{
  const char *retry_after;
  guint64 seconds = 0;

  ct_response_assert_error (response, 429, "RATE_LIMITED");
  retry_after = soup_message_headers_get_one (response->headers, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_true (g_ascii_string_to_unsigned (retry_after, 10, 1, 60, &seconds, NULL));
}

/* ---- issuing --------------------------------------------------------------- */

static void
test_issued_only_when_asked (CtFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) plain = ct_post (f, "start", "{\"kind\":\"login\"}");
  g_autoptr(CtResponse) no = ct_post (f, "start", "{\"kind\":\"login\",\"userCode\":false}");
  g_autoptr(CtResponse) wrong_type = ct_post (f, "start",
                                              "{\"kind\":\"login\",\"userCode\":\"yes\"}");
  g_autoptr(CompanionOrder) stored = NULL;
  g_autofree char *letters = companion_user_code_normalize (c->user_code);
  g_autofree char *hash = crossing_token_hash (letters);

  g_assert_false (json_object_has_member (ct_response_object (plain), "userCode"));
  g_assert_false (json_object_has_member (ct_response_object (plain), "verificationUri"));
  g_assert_false (json_object_has_member (ct_response_object (no), "userCode"));
  ct_response_assert_error (wrong_type, 400, "INVALID_REQUEST");

  /* Kept only as its SHA-256, like every token. */
  stored = companion_store_get_order (ct_fixture_get_store (f), c->order->order_id, NULL);
  g_assert_cmpstr (stored->user_code_hash, ==, hash);
}

/* Many codes: all of the alphabet, all different, the letters spread. */
static void
test_alphabet_and_uniqueness (CtFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[20] = { 0, };

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(CodeOrder) c = start_with_code (f, "sign");

      g_assert_true (g_hash_table_add (seen, g_strdup (c->user_code)));
      for (const char *p = c->user_code; *p != '\0'; p++)
        if (*p != '-')
          counts[strchr (COMPANION_USER_CODE_ALPHABET, *p) - COMPANION_USER_CODE_ALPHABET]++;
    }
  /* 800 letters, 40 of each expected: none missing, none far off. */
  for (guint i = 0; i < 20; i++)
    g_assert_cmpuint (counts[i], >, 10);
}

static void
test_normalize (void)
{
  const struct {
    const char *input;
    const char *normalized;
  } cases[] = {
    { "WDJB-MJHT", "WDJBMJHT" },
    { "wdjb mjht", "WDJBMJHT" },
    { " w-d-j-b m-j-h-t ", "WDJBMJHT" },
    { "WDJBMJHT", "WDJBMJHT" },
    { "WDJB-MJH", NULL },
    { "WDJB-MJHTB", NULL },
    { "WDJB-MJHA", NULL },   /* a vowel */
    { "WDJB-MJH0", NULL },   /* a digit */
    { "WDJB_MJHT", NULL },
    { "WDJB\tMJHT", NULL },
    { "", NULL },
    { "WDJB-MJH\xc3\x9f", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *normalized = companion_user_code_normalize (cases[i].input);

      g_assert_cmpstr (normalized, ==, cases[i].normalized);
    }
}

/* ---- claiming -------------------------------------------------------------- */

static void
test_claim_by_code_then_approve (CtFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtEventStream) stream = NULL;
  g_autoptr(CtResponse) claimed = NULL;
  g_autoptr(CtResponse) again = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(JsonNode) challenge = NULL;
  g_autoptr(JsonNode) event_data = NULL;
  g_autofree char *typed = g_ascii_strdown (c->user_code, -1);
  JsonObject *o;

  /* "wdjb mjht" and "WDJB-MJHT" are the same code. */
  typed[4] = ' ';
  stream = ct_event_stream_open (f, c->order->order_id, c->order->event_token, NULL);
  claimed = claim_by_code (f, typed, NULL);
  g_assert_cmpuint (claimed->status, ==, 200);
  o = ct_response_object (claimed);
  g_assert_true (ct_json_bool (o, "ok"));
  g_assert_cmpstr (ct_json_string (o, "orderId"), ==, c->order->order_id);
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "claimed");
  g_assert_true (crossing_token_is_well_formed (ct_json_string (o, "challengeToken")));
  g_assert_cmpuint (json_object_get_size (o), ==, 4);
  c->order->challenge_token = g_strdup (ct_json_string (o, "challengeToken"));

  /* The desktop sees the check code as after any claim. */
  g_assert_true (ct_event_stream_wait_events (stream, 1));
  event_data = ct_event_parse_data (ct_event_stream_get_event (stream, 0));
  c->order->check_code = g_strdup (ct_json_string (json_node_get_object (event_data),
                                                   "checkCode"));

  /* Used: the same answer as unknown. */
  again = claim_by_code (f, c->user_code, NULL);
  ct_response_assert_error (again, 400, "INVALID_USER_CODE");

  /* After the claim nothing changes: challenge, check code, approve. */
  challenge = ct_order_challenge (f, c->order);
  ct_order_sign (c->order);
  approved = ct_order_send_approve (f, c->order);
  g_assert_cmpuint (approved->status, ==, 200);
}

static void
test_code_dies_at_qr_claim (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) late = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  g_autofree char *hash = NULL;

  ct_order_claim (f, c->order);
  late = claim_by_code (f, c->user_code, NULL);
  ct_response_assert_error (late, 400, "INVALID_USER_CODE");

  /* The QR's phone keeps the order. */
  stored = companion_store_get_order (ct_fixture_get_store (f), c->order->order_id, NULL);
  hash = crossing_token_hash (c->order->challenge_token);
  g_assert_cmpstr (stored->challenge_token_hash, ==, hash);
}

static void
test_code_dies_with_the_order (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "sign");
  g_autoptr(CtResponse) cancelled = NULL;
  g_autoptr(CtResponse) late = NULL;

  cancelled = ct_post_printf (f, "cancel", "{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}",
                              c->order->order_id, c->order->desktop_token);
  g_assert_cmpuint (cancelled->status, ==, 200);
  late = claim_by_code (f, c->user_code, NULL);
  ct_response_assert_error (late, 400, "INVALID_USER_CODE");
}

static void
setup_short_ttl (CtFixture     *f,
                 gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->order_ttl = 1;
  ct_fixture_start (f);
}

static gboolean
order_expired (gpointer data)
{
  gpointer *args = data;

  return stored_status (args[0], args[1]) == CROSSING_STATUS_EXPIRED;
}

static void
test_code_dies_at_expiry (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) late = NULL;
  gpointer args[] = { f, c->order->order_id };

  g_assert_true (ct_wait_until (order_expired, args, 3000));
  late = claim_by_code (f, c->user_code, NULL);
  ct_response_assert_error (late, 400, "INVALID_USER_CODE");
}

/* Twenty phones type the same code at once: one claims it. */
static void
test_concurrent_claims_one_winner (CtFixture     *f,
                                   gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  guint winners = 0, losers = 0;

  for (guint i = 0; i < 20; i++)
    ct_batch_add (batch, claim_message (f, c->user_code, NULL));
  responses = ct_batch_wait (batch);
  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);

      if (response->status == 200)
        winners++;
      else
        {
          ct_response_assert_error (response, 400, "INVALID_USER_CODE");
          losers++;
        }
    }
  g_assert_cmpuint (winners, ==, 1);
  g_assert_cmpuint (losers, ==, 19);
  g_assert_cmpint (stored_status (f, c->order->order_id), ==, CROSSING_STATUS_CLAIMED);
}

static void
setup_many_misses (CtFixture     *f,
                   gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->user_code_misses_per_minute_per_ip = 100;
  f->config->user_code_misses_per_minute = 100;
  ct_fixture_start (f);
}

/* Malformed input is refused without a lookup and is not a miss. */
static void
test_malformed_not_counted (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  const char *bodies[] = {
    "{\"userCode\":\"WDJB-MJHA\"}",
    "{\"userCode\":\"WDJB-MJH0\"}",
    "{\"userCode\":\"WDJB-MJH\"}",
    "{\"userCode\":\"WDJB-MJHTT\"}",
    "{\"userCode\":\"\"}",
    "{\"userCode\":42}",
    "{\"userCode\":null}",
    "{}",
    "{\"userCode\":\"WDJB\\u0000MJHT\"}",
  };
  g_autoptr(CtResponse) right = NULL;
  CompanionMissWindow all = { 0, };

  for (guint round = 0; round < 2; round++)
    for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
      {
        g_autoptr(CtResponse) response = ct_post (f, "claim-by-code", bodies[i]);

        ct_response_assert_error (response, 400, "INVALID_REQUEST");
      }

  g_assert_true (companion_store_get_user_code_misses (ct_fixture_get_store (f),
                                                       COMPANION_USER_CODE_MISSES_ALL,
                                                       crossing_now_ms (), &all, NULL));
  g_assert_cmpuint (all.misses, ==, 0);
  right = claim_by_code (f, c->user_code, NULL);
  g_assert_cmpuint (right->status, ==, 200);
}

static void
setup_behind_proxy (CtFixture     *f,
                    gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->trust_proxy = TRUE;
  ct_fixture_start (f);
}

/* PROTOCOL.md's check: an 11th miss within a minute from one address is
 * 429, a right code from there too; other addresses go on. */
static void
test_misses_per_address (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) eleventh = NULL;
  g_autoptr(CtResponse) right_but_limited = NULL;
  g_autoptr(CtResponse) elsewhere = NULL;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *wrong = other_code (c->user_code, i);
      g_autoptr(CtResponse) miss = claim_by_code (f, wrong, "198.51.100.7");

      ct_response_assert_error (miss, 400, "INVALID_USER_CODE");
    }

  eleventh = claim_by_code (f, "BBBB-BBBB", "198.51.100.7");
  assert_rate_limited (eleventh);
  right_but_limited = claim_by_code (f, c->user_code, "198.51.100.7");
  assert_rate_limited (right_but_limited);
  g_assert_cmpint (stored_status (f, c->order->order_id), ==, CROSSING_STATUS_CREATED);

  elsewhere = claim_by_code (f, c->user_code, "198.51.100.8");
  g_assert_cmpuint (elsewhere->status, ==, 200);
}

/* One IPv6 host cannot walk its /64 to get more guesses. */
static void
test_misses_per_ipv6_prefix (CtFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(CtResponse) limited = NULL;
  g_autoptr(CtResponse) other_prefix = NULL;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *address = g_strdup_printf ("2001:db8:1:2::%x", i + 1);
      g_autofree char *wrong = other_code ("BBBB-BBBB", i);
      g_autoptr(CtResponse) miss = claim_by_code (f, wrong, address);

      ct_response_assert_error (miss, 400, "INVALID_USER_CODE");
    }
  limited = claim_by_code (f, "BBBB-BBBB", "2001:db8:1:2:ffff:ffff:ffff:ffff");
  assert_rate_limited (limited);
  other_prefix = claim_by_code (f, "BBBB-BBBB", "2001:db8:1:3::1");
  ct_response_assert_error (other_prefix, 400, "INVALID_USER_CODE");
}

/* 60 misses from any number of addresses switch code entry off for a
 * minute, for everyone; the QR keeps working. */
static void
test_misses_across_the_companion (CtFixture     *f,
                                  gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) sixty_first = NULL;
  g_autoptr(CtResponse) right = NULL;
  CompanionMissWindow all = { 0, };

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *address = g_strdup_printf ("203.0.113.%u", i / 10 + 1);
      g_autofree char *wrong = other_code (c->user_code, i);
      g_autoptr(CtResponse) miss = claim_by_code (f, wrong, address);

      ct_response_assert_error (miss, 400, "INVALID_USER_CODE");
    }

  /* Counted in the store, where every companion on it reads them. */
  g_assert_true (companion_store_get_user_code_misses (ct_fixture_get_store (f),
                                                       COMPANION_USER_CODE_MISSES_ALL,
                                                       crossing_now_ms (), &all, NULL));
  g_assert_cmpuint (all.misses, ==, 60);

  sixty_first = claim_by_code (f, "BBBB-BBBB", "192.0.2.200");
  assert_rate_limited (sixty_first);
  right = claim_by_code (f, c->user_code, "192.0.2.201");
  assert_rate_limited (right);

  ct_order_claim (f, c->order);
}

/* The limit lasts until its minute ends, then code entry is open again. */
static void
test_misses_window_ends (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) limited = NULL;
  g_autoptr(CtResponse) after = NULL;
  g_autofree char *scope = companion_limits_client_key ("198.51.100.9");
  /* A window that began 59.6 s ago and ends in 0.4 s. */
  gint64 began = crossing_now_ms () - 59600;
  CompanionMissWindow window = { 0, };

  for (guint i = 0; i < 10; i++)
    g_assert_true (companion_store_add_user_code_miss (ct_fixture_get_store (f), scope, began,
                                                       COMPANION_USER_CODE_WINDOW_MS, &window,
                                                       NULL));
  g_assert_cmpuint (window.misses, ==, 10);
  g_assert_cmpint (window.window_ends, ==, began + 60000);

  limited = claim_by_code (f, c->user_code, "198.51.100.9");
  assert_rate_limited (limited);
  g_assert_cmpstr (soup_message_headers_get_one (limited->headers, "Retry-After"), ==, "1");

  g_usleep (500 * 1000);
  after = claim_by_code (f, c->user_code, "198.51.100.9");
  g_assert_cmpuint (after->status, ==, 200);
}

static void
setup_two_codes (CtFixture     *f,
                 gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->max_user_codes = 2;
  ct_fixture_start (f);
}

static void
test_max_user_codes (CtFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CodeOrder) first = start_with_code (f, "login");
  g_autoptr(CodeOrder) second = start_with_code (f, "login");
  g_autoptr(CtResponse) third_response = NULL;
  g_autoptr(CtOrder) third = NULL;
  g_autoptr(CodeOrder) after_claim = NULL;

  /* Full: the order is made without a code, and works by its QR. */
  third_response = ct_post (f, "start", "{\"kind\":\"login\",\"userCode\":true}");
  g_assert_cmpuint (third_response->status, ==, 200);
  g_assert_false (json_object_has_member (ct_response_object (third_response), "userCode"));
  g_assert_false (json_object_has_member (ct_response_object (third_response),
                                          "verificationUri"));
  third = ct_order_start (f, "login", "\"userCode\":true");
  ct_order_claim (f, third);

  /* A claimed code is no longer live: there is room again. */
  ct_order_claim (f, first->order);
  after_claim = start_with_code (f, "login");
}

/* With check codes off the code still only claims: the check code stays. */
static void
setup_no_check_code (CtFixture     *f,
                     gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->check_code = FALSE;
  ct_fixture_start (f);
}

static void
test_check_code_stays_mandatory (CtFixture     *f,
                                 gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autoptr(CtResponse) claimed = claim_by_code (f, c->user_code, NULL);
  g_autoptr(CtResponse) without = NULL;
  g_autoptr(JsonNode) challenge = NULL;
  g_autoptr(JsonNode) envelope = NULL;

  g_assert_cmpuint (claimed->status, ==, 200);
  c->order->challenge_token = g_strdup (ct_json_string (ct_response_object (claimed),
                                                        "challengeToken"));
  challenge = ct_order_challenge (f, c->order);
  g_assert_true (ct_json_bool (json_node_get_object (challenge), "checkCodeRequired"));
  ct_order_sign (c->order);
  without = ct_order_send_approve (f, c->order);
  ct_response_assert_error (without, 400, "CHECK_CODE_MISMATCH");
}

/* The entry page: served, and opening it (with ?user_code=) claims nothing. */
static void
test_entry_page (CtFixture     *f,
                 gconstpointer  data)
{
  g_autoptr(CodeOrder) c = start_with_code (f, "login");
  g_autofree char *path = g_strdup_printf ("/cross-device/code?user_code=%s", c->user_code);
  g_autoptr(CtResponse) page = ct_get (f, path);
  g_autoptr(CtResponse) plain = ct_get (f, "/cross-device/code");
  g_autoptr(SoupMessage) head = ct_message_new (f, SOUP_METHOD_HEAD, "/cross-device/code");
  g_autoptr(CtResponse) head_response = ct_send (f, head);
  g_autofree char *html = NULL;

  g_assert_cmpuint (page->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (page->headers, NULL), ==, "text/html");
  html = g_strndup (g_bytes_get_data (page->body, NULL), g_bytes_get_size (page->body));
  g_assert_nonnull (strstr (html, "<input"));
  g_assert_cmpuint (plain->status, ==, 200);
  g_assert_cmpuint (head_response->status, ==, 200);
  g_assert_cmpint (stored_status (f, c->order->order_id), ==, CROSSING_STATUS_CREATED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/user-code/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)
#define ADD_SETUP(path, setup, func) \
  g_test_add ("/companion/user-code/" path, CtFixture, NULL, setup, func, ct_fixture_teardown)

  g_test_add_func ("/companion/user-code/normalize", test_normalize);
  ADD ("issued-only-when-asked-stored-hashed", test_issued_only_when_asked);
  ADD ("alphabet-and-uniqueness", test_alphabet_and_uniqueness);
  ADD ("claim-by-code-then-approve", test_claim_by_code_then_approve);
  ADD ("dies-at-qr-claim", test_code_dies_at_qr_claim);
  ADD ("dies-with-the-order", test_code_dies_with_the_order);
  ADD_SETUP ("dies-at-expiry", setup_short_ttl, test_code_dies_at_expiry);
  ADD_SETUP ("twenty-concurrent-claims-one-winner", setup_many_misses,
             test_concurrent_claims_one_winner);
  ADD ("malformed-is-not-a-miss", test_malformed_not_counted);
  ADD_SETUP ("misses/eleventh-from-one-address", setup_behind_proxy, test_misses_per_address);
  ADD_SETUP ("misses/ipv6-per-64", setup_behind_proxy, test_misses_per_ipv6_prefix);
  ADD_SETUP ("misses/sixty-across-the-companion", setup_behind_proxy,
             test_misses_across_the_companion);
  ADD_SETUP ("misses/until-the-minute-ends", setup_behind_proxy, test_misses_window_ends);
  ADD_SETUP ("max-user-codes", setup_two_codes, test_max_user_codes);
  ADD_SETUP ("check-code-stays-mandatory", setup_no_check_code, test_check_code_stays_mandatory);
  ADD ("entry-page-never-claims", test_entry_page);

  return g_test_run ();
}
