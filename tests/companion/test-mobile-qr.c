/* test-mobile-qr.c: the Better Auth mobile-QR API over the order engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crossing-nimiq.h"
#include "crossing-token.h"

#include "companion-test-utils.h"

#define N_RACERS 20
#define MQR "/api/auth/mobile-qr"
#define POLL_COOKIE "crossing.mobile_qr_poll"

/* The contract's Nimiq key pair. */
#define NIMIQ_SEED_HEX "682df035c30e8c55bda4ab517213792c2af4b4e9c23ac2cf11bd28b237a6544e"
#define NIMIQ_ADDRESS  "NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U"

typedef struct {
  char  *challenge_id;
  char  *provider_id;
  char  *signing_url;
  char  *poll_token;
  gint64 expires_at;
  char  *message;       /* after mqr_open () */
} Mqr;

static void
mqr_free (Mqr *mqr)
{
  g_free (mqr->challenge_id);
  g_free (mqr->provider_id);
  g_free (mqr->signing_url);
  g_free (mqr->poll_token);
  g_free (mqr->message);
  g_free (mqr);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mqr, mqr_free)

typedef struct {
  const char *name;
  GPtrArray  *cookies;   /* SoupCookie */
} CookieScan;

static void
collect_cookie (const char *name,
                const char *value,
                gpointer    user_data)
{
  CookieScan *scan = user_data;

  if (g_ascii_strcasecmp (name, "Set-Cookie") == 0)
    {
      SoupCookie *cookie = soup_cookie_parse (value, NULL);

      if (cookie != NULL && strcmp (soup_cookie_get_name (cookie), scan->name) == 0)
        g_ptr_array_add (scan->cookies, cookie);
      else if (cookie != NULL)
        soup_cookie_free (cookie);
    }
}

/* The one Set-Cookie of @name in @response, or NULL. */
static SoupCookie *
response_cookie (CtResponse *response,
                 const char *name)
{
  g_autoptr(GPtrArray) cookies = g_ptr_array_new_with_free_func ((GDestroyNotify) soup_cookie_free);
  CookieScan scan = { name, cookies };

  soup_message_headers_foreach (response->headers, collect_cookie, &scan);
  g_assert_cmpuint (cookies->len, <=, 1);
  return cookies->len == 1 ? g_ptr_array_steal_index (cookies, 0) : NULL;
}

static Mqr *
mqr_start (CtFixture  *f,
           const char *provider)
{
  g_autoptr(CtResponse) response = NULL;
  g_autoptr(SoupCookie) cookie = NULL;
  JsonObject *object;
  Mqr *mqr = g_new0 (Mqr, 1);

  response = ct_post_printf (f, MQR "/start", "{\"providerId\":\"%s\"}", provider);
  g_assert_cmpuint (response->status, ==, 200);
  object = ct_response_object (response);
  mqr->challenge_id = g_strdup (ct_json_string (object, "challengeId"));
  mqr->provider_id = g_strdup (ct_json_string (object, "providerId"));
  mqr->signing_url = g_strdup (ct_json_string (object, "signingUrl"));
  mqr->expires_at = ct_json_int (object, "expiresAt");
  g_assert_cmpint (ct_json_int (object, "interval"), ==, 3);
  g_assert_false (json_object_has_member (object, "desktopToken"));
  g_assert_false (json_object_has_member (object, "claimToken"));

  cookie = response_cookie (response, POLL_COOKIE);
  g_assert_nonnull (cookie);
  mqr->poll_token = g_strdup (soup_cookie_get_value (cookie));
  return mqr;
}

static CtResponse *
mqr_status_with (CtFixture  *f,
                 const char *challenge_id,
                 const char *poll_token)
{
  g_autofree char *path = g_strdup_printf (MQR "/status?challengeId=%s", challenge_id);
  g_autoptr(SoupMessage) msg = ct_message_new (f, SOUP_METHOD_GET, path);

  if (poll_token != NULL)
    {
      g_autofree char *cookie = g_strdup_printf (POLL_COOKIE "=%s", poll_token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie);
    }
  return ct_send (f, msg);
}

static CtResponse *
mqr_status (CtFixture *f,
            Mqr       *mqr)
{
  return mqr_status_with (f, mqr->challenge_id, mqr->poll_token);
}

static CtResponse *
mqr_get_challenge (CtFixture  *f,
                   const char *challenge_id)
{
  g_autofree char *path = g_strdup_printf (MQR "/challenge/%s", challenge_id);

  return ct_get (f, path);
}

/* The first GET: asserts the envelope and keeps its message. */
static void
mqr_open (CtFixture *f,
          Mqr       *mqr)
{
  g_autoptr(CtResponse) response = mqr_get_challenge (f, mqr->challenge_id);
  JsonObject *object;

  g_assert_cmpuint (response->status, ==, 200);
  object = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (object, "kind"), ==, "login");
  g_assert_cmpstr (ct_json_string (object, "action"), ==, "auth.login");
  g_assert_cmpstr (ct_json_string (object, "providerId"), ==, mqr->provider_id);
  g_assert_cmpstr (ct_json_string (object, "challengeId"), ==, mqr->challenge_id);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "waiting_user");
  g_free (mqr->message);
  mqr->message = g_strdup (ct_json_string (object, "message"));
}

static char *
complete_body (Mqr          *mqr,
               const char   *provider,
               const guint8  seed[CROSSING_ED25519_SEED_BYTES],
               const char   *extra)
{
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;

  crossing_proof_sign (crossing_adapter_from_string (mqr->provider_id), mqr->message, seed,
                       &public_key_hex, &signature_hex);
  return g_strdup_printf ("{\"challengeId\":\"%s\",\"providerId\":\"%s\","
                          "\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"%s%s}",
                          mqr->challenge_id, provider, public_key_hex, signature_hex,
                          extra != NULL ? "," : "", extra != NULL ? extra : "");
}

static CtResponse *
mqr_complete (CtFixture *f,
              Mqr       *mqr)
{
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *body = NULL;

  ct_seed_for (0, seed);
  body = complete_body (mqr, mqr->provider_id, seed, NULL);
  return ct_post (f, MQR "/complete", body);
}

static void
assert_pending (CtFixture *f,
                Mqr       *mqr,
                gboolean   scanned)
{
  g_autoptr(CtResponse) response = mqr_status (f, mqr);
  JsonObject *object;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Cache-Control"), ==,
                   "no-store");
  object = ct_response_object (response);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "pending");
  g_assert_cmpstr (ct_json_string (object, "challengeId"), ==, mqr->challenge_id);
  g_assert_cmpint (ct_json_bool (object, "scanned"), ==, scanned);
  g_assert_cmpint (ct_json_int (object, "expiresAt"), ==, mqr->expires_at);
  g_assert_false (json_object_has_member (object, "checkCode"));
}

static CompanionOrder *
order_of (CtFixture *f,
          Mqr       *mqr)
{
  g_autofree char *hash = crossing_token_hash (mqr->challenge_id);
  g_autoptr(GError) error = NULL;
  CompanionOrder *order;

  order = companion_store_get_order_by_challenge_hash (ct_fixture_get_store (f), hash, &error);
  g_assert_no_error (error);
  g_assert_nonnull (order);
  return order;
}

/* The flow a client written against the plugin's snippet goes through. */
static void
test_flow (CtFixture     *f,
           gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "ed25519");
  g_autoptr(CtResponse) start = NULL;
  g_autoptr(CtResponse) again = NULL;
  g_autoptr(CtResponse) completed = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CtResponse) used = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autoptr(SoupCookie) cleared = NULL;
  g_autoptr(SoupCookie) session_cookie = NULL;
  g_autoptr(SoupMessage) get_session = NULL;
  g_autofree char *signing_url = g_strdup_printf ("%s/qr/phone/%s", f->url, mqr->challenge_id);
  g_autofree char *auth = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *subject = NULL;
  JsonObject *object, *user;
  const char *token;

  g_assert_cmpstr (mqr->provider_id, ==, "ed25519");
  g_assert_cmpstr (mqr->signing_url, ==, signing_url);

  assert_pending (f, mqr, FALSE);
  mqr_open (f, mqr);
  assert_pending (f, mqr, TRUE);

  /* Reading it again changes nothing. */
  again = mqr_get_challenge (f, mqr->challenge_id);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_response_object (again), "message"), ==, mqr->message);
  g_assert_cmpstr (ct_json_string (ct_response_object (again), "status"), ==, "waiting_user");

  completed = mqr_complete (f, mqr);
  g_assert_cmpuint (completed->status, ==, 200);
  object = ct_response_object (completed);
  g_assert_true (ct_json_bool (object, "ok"));
  g_assert_cmpstr (ct_json_string (object, "challengeId"), ==, mqr->challenge_id);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "approved");
  g_assert_false (json_object_has_member (object, "token"));
  g_assert_null (soup_message_headers_get_one (completed->headers, "set-auth-token"));
  g_assert_null (response_cookie (completed, CROSSING_SESSION_COOKIE));

  approved = mqr_status (f, mqr);
  g_assert_cmpuint (approved->status, ==, 200);
  object = ct_response_object (approved);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "approved");
  g_assert_cmpstr (ct_json_string (object, "challengeId"), ==, mqr->challenge_id);
  g_assert_cmpstr (ct_json_string (object, "redirectTo"), ==, "/");
  token = ct_json_string (object, "token");
  ct_seed_for (0, seed);
  subject = ct_ed25519_subject (seed);
  user = ct_json_object (object, "user");
  g_assert_cmpstr (ct_json_string (user, "subject"), ==, subject);
  ct_json_string (user, "id");
  g_assert_cmpstr (soup_message_headers_get_one (approved->headers, "set-auth-token"), ==, token);
  session_cookie = response_cookie (approved, CROSSING_SESSION_COOKIE);
  g_assert_nonnull (session_cookie);
  g_assert_cmpstr (soup_cookie_get_value (session_cookie), ==, token);
  cleared = response_cookie (approved, POLL_COOKIE);
  g_assert_nonnull (cleared);
  g_assert_cmpstr (soup_cookie_get_value (cleared), ==, "");
  g_assert_cmpstr (soup_cookie_get_path (cleared), ==, MQR);

  get_session = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/get-session");
  auth = g_strdup_printf ("Bearer %s", token);
  soup_message_headers_replace (soup_message_get_request_headers (get_session), "Authorization",
                                auth);
  session = ct_send (f, get_session);
  g_assert_cmpuint (session->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (session), "user"),
                                   "subject"), ==, subject);

  used = mqr_status (f, mqr);
  ct_response_assert_error (used, 409, "FINALIZE_ALREADY_USED");
}

static void
test_poll_cookie (CtFixture     *f,
                  gconstpointer  data)
{
  g_autoptr(CtResponse) response = NULL;
  g_autoptr(CtResponse) missing = NULL;
  g_autoptr(CtResponse) other = NULL;
  g_autoptr(SoupCookie) cookie = NULL;
  g_autoptr(Mqr) mqr = NULL;
  g_autoptr(Mqr) second = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GDateTime *expires;

  response = ct_post (f, MQR "/start", "{\"providerId\":\"nimiq-pay\",\"returnTo\":\"/qr/result\"}");
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "Cache-Control"), ==,
                   "no-store");
  cookie = response_cookie (response, POLL_COOKIE);
  g_assert_nonnull (cookie);
  g_assert_true (soup_cookie_get_http_only (cookie));
  g_assert_false (soup_cookie_get_secure (cookie));   /* plain http here */
  g_assert_cmpint (soup_cookie_get_same_site_policy (cookie), ==, SOUP_SAME_SITE_POLICY_STRICT);
  g_assert_cmpstr (soup_cookie_get_path (cookie), ==, MQR);
  expires = soup_cookie_get_expires (cookie);
  g_assert_nonnull (expires);
  g_assert_cmpint (g_date_time_difference (expires, now) / G_TIME_SPAN_SECOND, <=, 121);
  g_assert_cmpint (g_date_time_difference (expires, now) / G_TIME_SPAN_SECOND, >=, 110);

  mqr = mqr_start (f, "ed25519");
  second = mqr_start (f, "ed25519");
  /* 128 random bits at least, URL-safe, and not the same twice. */
  g_assert_cmpuint (strlen (mqr->challenge_id), >=, 22);
  g_assert_true (crossing_token_is_well_formed (mqr->challenge_id));
  g_assert_cmpstr (mqr->challenge_id, !=, second->challenge_id);

  missing = mqr_status_with (f, mqr->challenge_id, NULL);
  ct_response_assert_error (missing, 401, "INVALID_POLL_TOKEN");
  other = mqr_status_with (f, mqr->challenge_id, second->poll_token);
  ct_response_assert_error (other, 401, "INVALID_POLL_TOKEN");
}

static void
test_errors (CtFixture     *f,
             gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "ed25519");
  g_autoptr(CtResponse) bad_provider = NULL;
  g_autoptr(CtResponse) no_provider = NULL;
  g_autoptr(CtResponse) bad_return = NULL;
  g_autoptr(CtResponse) unknown_get = NULL;
  g_autoptr(CtResponse) malformed_get = NULL;
  g_autoptr(CtResponse) unknown_complete = NULL;
  g_autoptr(CtResponse) unknown_status = NULL;
  g_autoptr(CtResponse) early = NULL;
  g_autoptr(CtResponse) wrong_provider = NULL;
  g_autoptr(CtResponse) bad_proof = NULL;
  g_autoptr(CtResponse) first = NULL;
  g_autoptr(CtResponse) second = NULL;
  g_autoptr(CtResponse) after = NULL;
  g_autofree char *unknown = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];

  bad_provider = ct_post (f, MQR "/start", "{\"providerId\":\"webauthn\"}");
  ct_response_assert_error (bad_provider, 400, "UNSUPPORTED_ADAPTER");
  no_provider = ct_post (f, MQR "/start", "{}");
  ct_response_assert_error (no_provider, 400, "INVALID_REQUEST");
  bad_return = ct_post (f, MQR "/start", "{\"providerId\":\"ed25519\",\"returnTo\":\"//evil\"}");
  ct_response_assert_error (bad_return, 400, "RETURN_TO_NOT_ALLOWED");

  unknown_get = mqr_get_challenge (f, unknown);
  ct_response_assert_error (unknown_get, 404, "ORDER_NOT_FOUND");
  malformed_get = mqr_get_challenge (f, "not%20a%20token");
  ct_response_assert_error (malformed_get, 404, "ORDER_NOT_FOUND");
  unknown_status = mqr_status_with (f, unknown, mqr->poll_token);
  ct_response_assert_error (unknown_status, 404, "ORDER_NOT_FOUND");

  /* The phone cannot complete what it has not opened. */
  ct_seed_for (0, seed);
  mqr->message = g_strdup ("x");
  body = complete_body (mqr, "ed25519", seed, NULL);
  early = ct_post (f, MQR "/complete", body);
  ct_response_assert_error (early, 400, "NOT_READY_TO_APPROVE");

  mqr_open (f, mqr);
  g_free (body);
  body = complete_body (mqr, "nimiq-pay", seed, NULL);
  wrong_provider = ct_post (f, MQR "/complete", body);
  ct_response_assert_error (wrong_provider, 400, "UNSUPPORTED_ADAPTER");

  g_free (body);
  body = g_strdup_printf ("{\"challengeId\":\"%s\",\"providerId\":\"ed25519\","
                          "\"publicKeyHex\":\"%064d\",\"signatureHex\":\"%0128d\"}",
                          unknown, 0, 0);
  unknown_complete = ct_post (f, MQR "/complete", body);
  ct_response_assert_error (unknown_complete, 404, "ORDER_NOT_FOUND");

  g_free (body);
  body = g_strdup_printf ("{\"challengeId\":\"%s\",\"providerId\":\"ed25519\","
                          "\"publicKeyHex\":\"%064d\",\"signatureHex\":\"%0128d\"}",
                          mqr->challenge_id, 0, 0);
  bad_proof = ct_post (f, MQR "/complete", body);
  ct_response_assert_error (bad_proof, 401, "INVALID_PROOF");

  first = mqr_complete (f, mqr);
  g_assert_cmpuint (first->status, ==, 200);
  second = mqr_complete (f, mqr);
  ct_response_assert_error (second, 400, "NOT_READY_TO_APPROVE");

  /* Still readable, with its current status. */
  path = g_strdup_printf (MQR "/challenge/%s", mqr->challenge_id);
  after = ct_get (f, path);
  g_assert_cmpuint (after->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_response_object (after), "status"), ==, "approved");
}

static void
test_origin_mismatch (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "ed25519");
  g_autoptr(CtResponse) untrusted = NULL;
  g_autoptr(CtResponse) mismatch = NULL;
  g_autoptr(CtResponse) same = NULL;
  g_autoptr(SoupMessage) start = NULL;
  g_autoptr(SoupMessage) complete = NULL;
  g_autoptr(SoupMessage) complete_same = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *body = NULL;
  g_autofree char *origin = NULL;

  start = ct_message_new_post (f, MQR "/start", "application/json",
                               "{\"providerId\":\"ed25519\"}", -1);
  soup_message_headers_replace (soup_message_get_request_headers (start), "Origin",
                                "https://evil.example");
  untrusted = ct_send (f, start);
  ct_response_assert_error (untrusted, 400, "UNTRUSTED_ORIGIN");

  mqr_open (f, mqr);
  ct_seed_for (0, seed);
  body = complete_body (mqr, "ed25519", seed, NULL);
  complete = ct_message_new_post (f, MQR "/complete", "application/json", body, -1);
  soup_message_headers_replace (soup_message_get_request_headers (complete), "Origin",
                                "https://evil.example");
  mismatch = ct_send (f, complete);
  ct_response_assert_error (mismatch, 400, "ORIGIN_MISMATCH");

  /* The same origin as the order's is fine. */
  origin = g_strdup (f->url);
  complete_same = ct_message_new_post (f, MQR "/complete", "application/json", body, -1);
  soup_message_headers_replace (soup_message_get_request_headers (complete_same), "Origin",
                                origin);
  same = ct_send (f, complete_same);
  g_assert_cmpuint (same->status, ==, 200);
}

/* Nimiq Pay signs the prefixed SHA-256 of the message with the wallet key. */
static void
test_nimiq_pay (CtFixture     *f,
                gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "nimiq-pay");
  g_autoptr(CtResponse) completed = NULL;
  g_autoptr(CtResponse) approved = NULL;
  guint8 seed[crypto_sign_SEEDBYTES];
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
  guint8 digest[32];
  guint8 signature[crypto_sign_BYTES];
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;
  g_autofree char *body = NULL;

  g_assert_true (crossing_hex_decode (NIMIQ_SEED_HEX, seed, sizeof seed));
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  mqr_open (f, mqr);
  crossing_nimiq_message_digest (mqr->message, strlen (mqr->message), digest);
  crypto_sign_detached (signature, NULL, digest, sizeof digest, secret_key);
  public_key_hex = crossing_hex_encode (public_key, sizeof public_key);
  signature_hex = crossing_hex_encode (signature, sizeof signature);
  body = g_strdup_printf ("{\"challengeId\":\"%s\",\"providerId\":\"nimiq-pay\","
                          "\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\","
                          "\"address\":\"" NIMIQ_ADDRESS "\"}",
                          mqr->challenge_id, public_key_hex, signature_hex);
  completed = ct_post (f, MQR "/complete", body);
  g_assert_cmpuint (completed->status, ==, 200);

  approved = mqr_status (f, mqr);
  g_assert_cmpuint (approved->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (approved), "user"),
                                   "subject"), ==, NIMIQ_ADDRESS);
}

static gboolean
order_is_expired (gpointer data)
{
  CtFixture *f = ((gpointer *) data)[0];
  Mqr *mqr = ((gpointer *) data)[1];
  g_autoptr(CompanionOrder) order = order_of (f, mqr);

  return order->status == CROSSING_STATUS_EXPIRED;
}

/* The timer moves the order, not the next read. */
static void
test_expiry_pushed (CtFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(Mqr) mqr = NULL;
  g_autoptr(CtResponse) status = NULL;
  g_autoptr(CtResponse) challenge = NULL;
  gpointer args[2];
  JsonObject *object;

  ct_fixture_init (f);
  f->config->order_ttl = 1;
  ct_fixture_start (f);

  mqr = mqr_start (f, "ed25519");
  mqr_open (f, mqr);
  args[0] = f;
  args[1] = mqr;
  g_assert_true (ct_wait_until (order_is_expired, args, 3000));

  status = mqr_status (f, mqr);
  g_assert_cmpuint (status->status, ==, 200);
  object = ct_response_object (status);
  g_assert_cmpstr (ct_json_string (object, "status"), ==, "expired");
  g_assert_cmpstr (ct_json_string (object, "reason"), ==, "expired");
  g_assert_cmpstr (ct_json_string (object, "challengeId"), ==, mqr->challenge_id);

  challenge = mqr_get_challenge (f, mqr->challenge_id);
  ct_response_assert_error (challenge, 400, "ORDER_EXPIRED");
  ct_fixture_finish (f);
}

static void
test_registration_closed (CtFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(Mqr) mqr = NULL;
  g_autoptr(CtResponse) refused = NULL;
  g_autoptr(CtResponse) pending = NULL;

  ct_fixture_init (f);
  f->config->registration_open = FALSE;
  ct_fixture_start (f);

  mqr = mqr_start (f, "ed25519");
  mqr_open (f, mqr);
  refused = mqr_complete (f, mqr);
  ct_response_assert_error (refused, 401, "UNABLE_TO_RESOLVE_APPROVED_LOGIN");
  pending = mqr_status (f, mqr);
  g_assert_cmpstr (ct_json_string (ct_response_object (pending), "status"), ==, "pending");
  ct_fixture_finish (f);
}

/* mobile-qr-check-code on: the desktop's status shows the code, the phone
 * types it. Cross-device orders keep theirs either way. */
static void
test_check_code (CtFixture     *f,
                 gconstpointer  data)
{
  g_autoptr(Mqr) mqr = NULL;
  g_autoptr(CtResponse) pending = NULL;
  g_autoptr(CtResponse) missing = NULL;
  g_autoptr(CtResponse) right = NULL;
  g_autofree char *code = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *body = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];

  ct_fixture_init (f);
  f->config->mobile_qr_check_code = TRUE;
  ct_fixture_start (f);

  mqr = mqr_start (f, "ed25519");
  mqr_open (f, mqr);
  pending = mqr_status (f, mqr);
  code = g_strdup (ct_json_string (ct_response_object (pending), "checkCode"));
  g_assert_cmpuint (strlen (code), ==, 2);

  missing = mqr_complete (f, mqr);
  ct_response_assert_error (missing, 400, "CHECK_CODE_MISMATCH");

  ct_seed_for (0, seed);
  extra = g_strdup_printf ("\"checkCode\":\"%s\"", code);
  body = complete_body (mqr, "ed25519", seed, extra);
  right = ct_post (f, MQR "/complete", body);
  g_assert_cmpuint (right->status, ==, 200);
  ct_fixture_finish (f);
}

static void
test_check_code_off_keeps_cross_device (CtFixture     *f,
                                        gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) no_code = NULL;

  g_assert_false (f->config->mobile_qr_check_code);
  ct_order_claim (f, order);
  g_clear_pointer (&order->check_code, g_free);
  json_node_unref (ct_order_challenge (f, order));
  ct_order_sign (order);
  no_code = ct_order_send_approve (f, order);
  ct_response_assert_error (no_code, 400, "CHECK_CODE_MISMATCH");
}

/* A cross-device order's challenge ID (which its phone sees) is not a
 * mobile-QR credential: it would skip the challenge token and check code. */
static void
test_cross_device_order_not_reachable (CtFixture     *f,
                                       gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(JsonNode) envelope = NULL;
  g_autoptr(CtResponse) get = NULL;
  g_autoptr(CtResponse) complete = NULL;
  g_autofree char *body = NULL;
  const char *challenge_id;

  ct_order_claim (f, order);
  envelope = ct_order_challenge (f, order);
  challenge_id = ct_json_string (json_node_get_object (envelope), "challengeId");
  ct_order_sign (order);

  get = mqr_get_challenge (f, challenge_id);
  ct_response_assert_error (get, 404, "ORDER_NOT_FOUND");
  body = g_strdup_printf ("{\"challengeId\":\"%s\",\"providerId\":\"ed25519\","
                          "\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}",
                          challenge_id, order->public_key_hex, order->signature_hex);
  complete = ct_post (f, MQR "/complete", body);
  ct_response_assert_error (complete, 404, "ORDER_NOT_FOUND");
}

static void
test_concurrent_completes (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "ed25519");
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  g_autofree char *body = NULL;
  guint ok = 0;

  mqr_open (f, mqr);
  ct_seed_for (0, seed);
  body = complete_body (mqr, "ed25519", seed, NULL);
  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autoptr(SoupMessage) msg = ct_message_new_post (f, MQR "/complete", "application/json",
                                                        body, -1);
      ct_batch_add (batch, msg);
    }
  responses = ct_batch_wait (batch);

  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *response = g_ptr_array_index (responses, i);

      if (response->status == 200)
        ok++;
      else if (response->status == 409)
        ct_response_assert_error (response, 409, "TRANSITION_CONFLICT");
      else
        ct_response_assert_error (response, 400, "NOT_READY_TO_APPROVE");
    }
  g_assert_cmpuint (ok, ==, 1);
}

static void
test_concurrent_status_delivers_once (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "ed25519");
  g_autoptr(CtBatch) batch = ct_batch_new (f);
  g_autoptr(GPtrArray) responses = NULL;
  g_autoptr(CtResponse) completed = NULL;
  g_autofree char *path = g_strdup_printf (MQR "/status?challengeId=%s", mqr->challenge_id);
  g_autofree char *cookie = g_strdup_printf (POLL_COOKIE "=%s", mqr->poll_token);
  guint ok = 0, used = 0;

  mqr_open (f, mqr);
  completed = mqr_complete (f, mqr);
  g_assert_cmpuint (completed->status, ==, 200);

  for (guint i = 0; i < N_RACERS; i++)
    {
      g_autoptr(SoupMessage) msg = ct_message_new (f, SOUP_METHOD_GET, path);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie);
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

/* Same engine, same event log: what an event stream of the order replays. */
static void
test_events_recorded (CtFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "ed25519");
  g_autoptr(CtResponse) completed = NULL;
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CompanionOrder) order = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  const CrossingStatus expected[] = {
    CROSSING_STATUS_CLAIMED, CROSSING_STATUS_WAITING_USER, CROSSING_STATUS_APPROVED,
    CROSSING_STATUS_FINALIZED,
  };

  mqr_open (f, mqr);
  completed = mqr_complete (f, mqr);
  approved = mqr_status (f, mqr);
  g_assert_cmpuint (approved->status, ==, 200);

  order = order_of (f, mqr);
  g_assert_cmpint (order->status, ==, CROSSING_STATUS_FINALIZED);
  g_assert_cmpint (order->kind, ==, CROSSING_KIND_LOGIN);
  /* The phone's credential is kept as a hash, and no challenge token exists. */
  g_assert_null (order->challenge_token_hash);
  g_assert_cmpuint (strlen (order->challenge_id_hash), ==, CROSSING_TOKEN_HASH_CHARS);

  events = companion_store_list_events (ct_fixture_get_store (f), order->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < events->len; i++)
    {
      CompanionEvent *event = g_ptr_array_index (events, i);

      g_assert_cmpint (event->status, ==, expected[i]);
      g_assert_nonnull (strstr (event->data, order->id));
    }
}

static void
test_phone_page (CtFixture     *f,
                 gconstpointer  data)
{
  g_autoptr(Mqr) mqr = mqr_start (f, "nimiq-pay");
  g_autoptr(CtResponse) page = NULL;
  g_autoptr(CtResponse) script = NULL;
  g_autoptr(CtResponse) other = NULL;
  g_autoptr(CtResponse) style = NULL;
  g_autofree char *path = g_strdup_printf ("/qr/phone/%s", mqr->challenge_id);
  g_autofree char *html = NULL;

  page = ct_get (f, path);
  g_assert_cmpuint (page->status, ==, 200);
  g_assert_nonnull (soup_message_headers_get_one (page->headers, "Content-Security-Policy"));
  html = g_strndup (g_bytes_get_data (page->body, NULL), g_bytes_get_size (page->body));
  g_assert_nonnull (strstr (html, "content=\"" MQR "\""));
  g_assert_null (strstr (html, mqr->challenge_id));   /* the script reads it from the URL */

  script = ct_get (f, "/qr/phone/assets/phone.js");
  g_assert_cmpuint (script->status, ==, 200);
  style = ct_get (f, "/cross-device/assets/claim.css");
  g_assert_cmpuint (style->status, ==, 200);
  other = ct_get (f, "/qr/phone/assets/../../etc/passwd");
  g_assert_cmpuint (other->status, ==, 404);
}

static void
test_method_not_allowed (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CtResponse) get_start = ct_get (f, MQR "/start");
  g_autoptr(SoupMessage) post_status = ct_message_new_post (f, MQR "/status", "application/json",
                                                            "{}", -1);
  g_autoptr(CtResponse) status = ct_send (f, post_status);

  ct_response_assert_error (get_start, 405, "METHOD_NOT_ALLOWED");
  g_assert_cmpstr (soup_message_headers_get_one (get_start->headers, "Allow"), ==, "POST");
  ct_response_assert_error (status, 405, "METHOD_NOT_ALLOWED");
}

static void
noop (CtFixture     *f,
      gconstpointer  data)
{
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, test) \
  g_test_add ("/companion/mobile-qr/" path, CtFixture, NULL, ct_fixture_setup, test, \
              ct_fixture_teardown)
#define ADD_OWN(path, test) \
  g_test_add ("/companion/mobile-qr/" path, CtFixture, NULL, noop, test, noop)

  ADD ("flow/approved-once-with-session", test_flow);
  ADD ("start/poll-cookie-and-challenge-id", test_poll_cookie);
  ADD ("errors/codes", test_errors);
  ADD ("complete/origin-mismatch", test_origin_mismatch);
  ADD ("complete/nimiq-pay-signature", test_nimiq_pay);
  ADD_OWN ("status/expiry-pushed-by-timer", test_expiry_pushed);
  ADD_OWN ("complete/registration-closed", test_registration_closed);
  ADD_OWN ("check-code/on-shows-and-takes-it", test_check_code);
  ADD ("check-code/off-keeps-cross-device-codes", test_check_code_off_keeps_cross_device);
  ADD ("challenge/cross-device-order-not-reachable", test_cross_device_order_not_reachable);
  ADD ("races/concurrent-completes-one-winner", test_concurrent_completes);
  ADD ("races/concurrent-status-delivers-once", test_concurrent_status_delivers_once);
  ADD ("events/same-engine-same-log", test_events_recorded);
  ADD ("page/served", test_phone_page);
  ADD ("routes/method-not-allowed", test_method_not_allowed);

  return g_test_run ();
}
