/* test-api.c: answers of the server turned into errors, errors into words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "crossing-api.h"
#include "crossing-error.h"

/* A plain login, as the desktop starts one. */
static const CrossingStartRequest login_request = { .kind = CROSSING_KIND_LOGIN };

static void
test_refusals_keep_the_servers_message (void)
{
  static const struct {
    guint status;
    const char *body;
    GQuark (*domain) (void);
    int code;
    const char *message;
  } cases[] = {
    { 404, "{\"code\":\"ORDER_NOT_FOUND\",\"message\":\"Order not found\"}",
      crossing_error_quark, CROSSING_ERROR_ORDER_NOT_FOUND, "Order not found" },
    { 409, "{\"code\":\"TRANSITION_CONFLICT\",\"message\":\"Lost a race\"}",
      crossing_error_quark, CROSSING_ERROR_TRANSITION_RACE, "Lost a race" },
    { 400, "{\"code\":\"TRANSITION_CONFLICT\",\"message\":\"Order is over\"}",
      crossing_error_quark, CROSSING_ERROR_TRANSITION_CONFLICT, "Order is over" },
    { 429, "{\"code\":\"RATE_LIMITED\",\"message\":\"Slow down\"}",
      crossing_error_quark, CROSSING_ERROR_RATE_LIMITED, "Slow down" },
    /* A message with a control character is not shown; the code's default is. */
    { 400, "{\"code\":\"INVALID_REQUEST\",\"message\":\"a\\u001b[31mb\"}",
      crossing_error_quark, CROSSING_ERROR_INVALID_REQUEST, NULL },
    { 502, "<html>Bad gateway</html>",
      crossing_error_quark, CROSSING_ERROR_INTERNAL, "HTTP 502 Bad Gateway" },
    { 418, "{\"code\":\"TEAPOT\",\"message\":\"short and stout\"}",
      g_io_error_quark, G_IO_ERROR_INVALID_DATA, NULL },
    { 200, "[1,2,3]", g_io_error_quark, G_IO_ERROR_INVALID_DATA, NULL },
    { 200, "{not json", g_io_error_quark, G_IO_ERROR_INVALID_DATA, NULL },
    { 200, "", g_io_error_quark, G_IO_ERROR_INVALID_DATA, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (cases[i].body, strlen (cases[i].body));
      g_autoptr(GError) error = NULL;
      JsonObject *object;

      object = crossing_api_parse_reply (cases[i].status, soup_status_get_phrase (cases[i].status),
                                         body, &error);
      g_assert_null (object);
      g_assert_error (error, cases[i].domain (), cases[i].code);
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_null (strchr (error->message, '\x1b'));
    }
}

static void
test_success_and_null (void)
{
  g_autoptr(GBytes) object_body = g_bytes_new_static ("{\"ok\":true}", 11);
  g_autoptr(GBytes) null_body = g_bytes_new_static ("null", 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  object = crossing_api_parse_reply (200, "OK", object_body, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (object, "ok"));
  /* get-session says "no session" with a 200 null. */
  g_assert_null (crossing_api_parse_reply (200, "OK", null_body, &error));
  g_assert_no_error (error);
}

static CrossingSessionInfo *
session_from (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  CrossingSessionInfo *info;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  info = crossing_api_session_info_from_json (json_node_get_object (json_parser_get_root (parser)),
                                              &error);
  g_assert_no_error (error);
  return info;
}

/* Before the Better Auth shapes: epoch ms and a null name; after: ISO-8601
 * strings and a name that is always a string. */
static void
test_session_both_shapes (void)
{
  g_autoptr(CrossingSessionInfo) old = NULL;
  g_autoptr(CrossingSessionInfo) now = NULL;

  old = session_from ("{\"session\":{\"expiresAt\":1796205600000,\"createdAt\":1795600800000},"
                      "\"user\":{\"name\":null,\"subject\":\"ed25519:00ff\"}}");
  g_assert_null (old->user_name);
  g_assert_cmpstr (old->subject, ==, "ed25519:00ff");
  g_assert_cmpint (old->expires_at, ==, G_GINT64_CONSTANT (1796205600000));
  g_assert_cmpint (old->created_at, ==, G_GINT64_CONSTANT (1795600800000));

  now = session_from ("{\"session\":{\"expiresAt\":\"2026-12-02T10:00:00.250Z\","
                      "\"createdAt\":\"2026-11-25T10:00:00.000Z\",\"ipAddress\":\"127.0.0.1\"},"
                      "\"user\":{\"name\":\"Ada\",\"subject\":\"ed25519:00ff\",\"role\":\"user\"}}");
  g_assert_cmpstr (now->user_name, ==, "Ada");
  g_assert_cmpint (now->expires_at, ==, G_GINT64_CONSTANT (1796205600250));
  g_assert_cmpint (now->created_at, ==, G_GINT64_CONSTANT (1795600800000));
}

/* get-session's user.passkey: two booleans for a passkey subject; anything
 * else, or another subject, says nothing. */
static void
test_session_passkey (void)
{
  static const struct {
    const char *user;
    gboolean passkey;
    gboolean synced;
  } cases[] = {
    { "\"subject\":\"passkey:AbCdEfGhIjKlMnOpQr\","
      "\"passkey\":{\"backupEligible\":true,\"backupState\":true}", TRUE, TRUE },
    { "\"subject\":\"passkey:AbCdEfGhIjKlMnOpQr\","
      "\"passkey\":{\"backupEligible\":true,\"backupState\":false}", TRUE, FALSE },
    { "\"subject\":\"passkey:AbCdEfGhIjKlMnOpQr\","
      "\"passkey\":{\"backupEligible\":false,\"backupState\":false}", TRUE, FALSE },
    /* not two booleans */
    { "\"subject\":\"passkey:x\",\"passkey\":{\"backupEligible\":1,\"backupState\":1}", FALSE, FALSE },
    { "\"subject\":\"passkey:x\",\"passkey\":{\"backupState\":true}", FALSE, FALSE },
    { "\"subject\":\"passkey:x\",\"passkey\":[true,true]", FALSE, FALSE },
    { "\"subject\":\"passkey:x\",\"passkey\":null", FALSE, FALSE },
    { "\"subject\":\"passkey:x\"", FALSE, FALSE },
    /* another subject's flags are not believed */
    { "\"subject\":\"ed25519:00ff\","
      "\"passkey\":{\"backupEligible\":true,\"backupState\":true}", FALSE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"session\":{},\"user\":{%s}}", cases[i].user);
      g_autoptr(CrossingSessionInfo) info = session_from (json);

      g_assert_cmpint (info->passkey, ==, cases[i].passkey);
      g_assert_cmpint (info->passkey_backup_state, ==, cases[i].synced);
    }
}

/* Major units by integer division, whatever the scale and sign. */
static void
test_ledger_format_amount (void)
{
  static const struct {
    gint64 minor;
    guint scale;
    const char *text;
  } cases[] = {
    { 0, 0, "0" },
    { 1250, 0, "1250" },
    { 1250, 2, "12.50" },
    { 5, 2, "0.05" },
    { 100, 2, "1.00" },
    { -5, 2, "-0.05" },
    { -1250, 2, "-12.50" },
    { -20, 0, "-20" },
    { 1, 18, "0.000000000000000001" },
    { G_GINT64_CONSTANT (1000000000000000000), 18, "1.000000000000000000" },
    { CROSSING_LEDGER_MAX_AMOUNT, 0, "9007199254740991" },
    { CROSSING_LEDGER_MAX_AMOUNT, 2, "90071992547409.91" },
    { CROSSING_LEDGER_MAX_AMOUNT, 18, "0.009007199254740991" },
    { -CROSSING_LEDGER_MAX_AMOUNT, 18, "-0.009007199254740991" },
    /* beyond the contract, still exact */
    { G_MAXINT64, 2, "92233720368547758.07" },
    { G_MININT64, 2, "-92233720368547758.08" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = crossing_ledger_format_amount (cases[i].minor, cases[i].scale);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static JsonObject *
ledger_object (const char *json)
{
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  g_autoptr(GError) error = NULL;
  JsonObject *object = crossing_api_parse_reply (200, "OK", body, &error);

  g_assert_no_error (error);
  return object;
}

static void
test_ledger_balances (void)
{
  static const char *const refused[] = {
    "{}",
    "{\"balances\":{}}",
    "{\"balances\":[1]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":2,\"posted\":1,\"reserved\":0}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":2.0,\"posted\":1,\"reserved\":0,\"available\":1}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":19,\"posted\":1,\"reserved\":0,\"available\":1}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":-1,\"posted\":1,\"reserved\":0,\"available\":1}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":0,\"posted\":\"1\",\"reserved\":0,\"available\":1}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":0,\"posted\":-1,\"reserved\":0,\"available\":0}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":0,\"posted\":9007199254740992,\"reserved\":0,\"available\":0}]}",
    "{\"balances\":[{\"asset\":\"Coin\",\"scale\":0,\"posted\":1,\"reserved\":0,\"available\":1}]}",
    "{\"balances\":[{\"asset\":\"c\\u001bin\",\"scale\":0,\"posted\":1,\"reserved\":0,\"available\":1}]}",
    "{\"balances\":[{\"asset\":\"coin\",\"scale\":0,\"posted\":1,\"reserved\":0,\"available\":1},"
    "{\"asset\":\"coin\",\"scale\":2,\"posted\":1,\"reserved\":0,\"available\":1}]}",
  };
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GPtrArray) balances = NULL;
  g_autoptr(GError) error = NULL;
  CrossingLedgerBalance *usd;
  GString *many = g_string_new ("{\"balances\":[");

  object = ledger_object ("{\"balances\":[{\"asset\":\"coin\",\"scale\":0,\"posted\":100,"
                        "\"reserved\":30,\"available\":70},{\"asset\":\"usd\",\"scale\":2,"
                        "\"posted\":1250,\"reserved\":0,\"available\":1250,\"extra\":true}]}");
  balances = crossing_api_ledger_balances_from_json (object, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (balances->len, ==, 2);
  usd = balances->pdata[1];
  g_assert_cmpstr (usd->asset, ==, "usd");
  g_assert_cmpuint (usd->scale, ==, 2);
  g_assert_cmpint (usd->posted, ==, 1250);
  g_assert_cmpint (usd->available, ==, 1250);
  g_assert_cmpint (((CrossingLedgerBalance *) balances->pdata[0])->reserved, ==, 30);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonObject) bad = ledger_object (refused[i]);
      g_autoptr(GError) bad_error = NULL;

      g_assert_null (crossing_api_ledger_balances_from_json (bad, &bad_error));
      g_assert_error (bad_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  /* a "null" body, and more rows than any companion configures */
  g_assert_null (crossing_api_ledger_balances_from_json (NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  for (guint i = 0; i <= CROSSING_LEDGER_MAX_BALANCES; i++)
    g_string_append_printf (many, "%s{\"asset\":\"a%u\",\"scale\":0,\"posted\":0,"
                            "\"reserved\":0,\"available\":0}", i > 0 ? "," : "", i);
  g_string_append (many, "]}");
  {
    g_autoptr(JsonObject) bad = ledger_object (many->str);

    g_assert_null (crossing_api_ledger_balances_from_json (bad, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  g_string_free (many, TRUE);
}

#define ENTRY(fields) "{\"entries\":[{" fields "}],\"nextCursor\":null}"
#define GOOD_ENTRY "\"id\":\"e1\",\"type\":\"capture\",\"asset\":\"coin\",\"amount\":20," \
  "\"postedDelta\":-20,\"reservedDelta\":-50,\"posted\":80,\"reserved\":0,"

static void
test_ledger_entries (void)
{
  static const char *const refused[] = {
    "{}",
    "{\"entries\":null}",
    ENTRY (GOOD_ENTRY "\"reason\":7,\"createdAt\":1"),
    ENTRY (GOOD_ENTRY "\"reason\":\"\",\"createdAt\":1"),
    ENTRY (GOOD_ENTRY "\"reason\":\"a\\u0007b\",\"createdAt\":1"),
    ENTRY ("\"id\":\"e1\",\"type\":\"gift\",\"asset\":\"coin\",\"amount\":20,"
           "\"postedDelta\":20,\"reservedDelta\":0,\"reason\":\"r\""),
    ENTRY ("\"id\":\"e1\",\"type\":\"credit\",\"asset\":\"coin\",\"amount\":0,"
           "\"postedDelta\":0,\"reservedDelta\":0,\"reason\":\"r\""),
    ENTRY ("\"id\":\"e1\",\"type\":\"credit\",\"asset\":\"coin\",\"amount\":1e2,"
           "\"postedDelta\":100,\"reservedDelta\":0,\"reason\":\"r\""),
    ENTRY ("\"id\":\"e1\",\"type\":\"debit\",\"asset\":\"coin\",\"amount\":1,"
           "\"postedDelta\":-9007199254740992,\"reservedDelta\":0,\"reason\":\"r\""),
    ENTRY ("\"id\":\"\",\"type\":\"credit\",\"asset\":\"coin\",\"amount\":1,"
           "\"postedDelta\":1,\"reservedDelta\":0,\"reason\":\"r\""),
    ENTRY ("\"id\":\"e1\",\"type\":\"credit\",\"amount\":1,"
           "\"postedDelta\":1,\"reservedDelta\":0,\"reason\":\"r\""),
  };
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  CrossingLedgerEntry *entry;
  g_autofree char *long_reason = g_strnfill (121, 'x');
  g_autofree char *too_long = NULL;
  GString *many = g_string_new ("{\"entries\":[");

  object = ledger_object ("{\"entries\":[{" GOOD_ENTRY "\"reason\":\"order_paid\","
                        "\"reservationId\":\"r1\",\"orderId\":null,\"createdAt\":1795600800000},"
                        "{\"id\":\"e0\",\"type\":\"release\",\"asset\":\"coin\",\"amount\":5,"
                        "\"postedDelta\":0,\"reservedDelta\":-5,\"reason\":null,"
                        "\"createdAt\":\"2026-11-25T10:00:00.000Z\"}],\"nextCursor\":\"abc\"}");
  entries = crossing_api_ledger_entries_from_json (object, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  entry = entries->pdata[0];
  g_assert_cmpstr (entry->type, ==, "capture");
  g_assert_cmpint (entry->amount, ==, 20);
  g_assert_cmpint (entry->posted_delta, ==, -20);
  g_assert_cmpint (entry->reserved_delta, ==, -50);
  g_assert_cmpstr (entry->reason, ==, "order_paid");
  g_assert_cmpint (entry->created_at, ==, G_GINT64_CONSTANT (1795600800000));
  entry = entries->pdata[1];
  g_assert_cmpstr (entry->reason, ==, "");
  g_assert_cmpint (entry->created_at, ==, G_GINT64_CONSTANT (1796205600000) - 7 * 24 * 3600 * 1000);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonObject) bad = ledger_object (refused[i]);
      g_autoptr(GError) bad_error = NULL;

      g_assert_null (crossing_api_ledger_entries_from_json (bad, &bad_error));
      g_assert_error (bad_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  too_long = g_strdup_printf (ENTRY (GOOD_ENTRY "\"reason\":\"%s\""), long_reason);
  {
    g_autoptr(JsonObject) bad = ledger_object (too_long);

    g_assert_null (crossing_api_ledger_entries_from_json (bad, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
  /* more than the contract's limit of 100 */
  for (guint i = 0; i <= 100; i++)
    g_string_append_printf (many, "%s{" GOOD_ENTRY "\"reason\":\"r\"}", i > 0 ? "," : "");
  g_string_append (many, "]}");
  {
    g_autoptr(JsonObject) bad = ledger_object (many->str);

    g_assert_null (crossing_api_ledger_entries_from_json (bad, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  g_string_free (many, TRUE);
}

static void
test_urls (void)
{
  g_autoptr(CrossingApi) api = crossing_api_new ("https://auth.example.org/", "sub/api/");
  g_autofree char *start = crossing_api_cross_device_url (api, "start");
  g_autofree char *events = crossing_api_events_url (api, "ab_C-1", "t&k=v");

  g_assert_cmpstr (crossing_api_get_server_url (api), ==, "https://auth.example.org");
  g_assert_cmpstr (start, ==, "https://auth.example.org/sub/api/cross-device/start");
  g_assert_cmpstr (events, ==, "https://auth.example.org/sub/api/cross-device/events"
                               "?orderId=ab_C-1&eventToken=t%26k%3Dv");
}

static void
test_error_sentences (void)
{
  static const struct {
    int domain;   /* 0 G_IO_ERROR, 1 G_TLS_ERROR, 2 CROSSING_ERROR, 3 G_RESOLVER_ERROR */
    int code;
    const char *message, *contains;
  } cases[] = {
    { 0, G_IO_ERROR_CONNECTION_REFUSED, "refused", "Cannot reach the sign-in server at http://s" },
    { 0, G_IO_ERROR_TIMED_OUT, "slow", "Cannot reach" },
    { 3, G_RESOLVER_ERROR_NOT_FOUND, "no such host", "Cannot reach" },
    { 1, G_TLS_ERROR_BAD_CERTIFICATE, "bad", "not trusted" },
    { 2, CROSSING_ERROR_RATE_LIMITED, "Too many", "busy" },
    { 2, CROSSING_ERROR_INVALID_REQUEST, "The field kind is required", "The field kind is required" },
    { 2, CROSSING_ERROR_INTERNAL, "SELECT secret", "ran into a problem" },
    { 0, G_IO_ERROR_INVALID_DATA, "x", "does not understand" },
    { 0, G_IO_ERROR_INVALID_ARGUMENT, "x", "not a valid web address" },
    { 0, G_IO_ERROR_PERMISSION_DENIED, "HTTP 401", "stopped sending updates" },
    { 2, CROSSING_ERROR_ORDER_NOT_FOUND, "Order not found", "no longer knows this request" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GQuark domain = cases[i].domain == 0 ? G_IO_ERROR : cases[i].domain == 1 ? G_TLS_ERROR
                      : cases[i].domain == 2 ? CROSSING_ERROR : G_RESOLVER_ERROR;
      g_autoptr(GError) error = g_error_new_literal (domain, cases[i].code, cases[i].message);
      g_autofree char *text = crossing_error_describe (error, "http://s");

      if (strstr (text, cases[i].contains) == NULL)
        g_error ("case %u: «%s» lacks «%s»", i, text, cases[i].contains);
      /* Internal detail never reaches the user. */
      g_assert_null (strstr (text, "SELECT"));
    }
}

/* A self-signed certificate for 127.0.0.1 that nothing trusts, made for
 * this test only. */
static const char self_signed_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBjzCCATagAwIBAgIUODLV06OXuYuLn0qFzojdAgriHzkwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjEzMzUzN1oYDzIxMjYxMDI5\n"
  "MTMzNTM3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAAT2HN9GOHW2hlleYqHHO4xH4ohodZwvQ+0EZnMn84xnmjptvn46XukT\n"
  "RC63yxEj2uhVVj8EstUIaeA6pi5cDynOo2QwYjAdBgNVHQ4EFgQU2RqFekY0N6SZ\n"
  "lD08yC2Uk/SUHj8wHwYDVR0jBBgwFoAU2RqFekY0N6SZlD08yC2Uk/SUHj8wDwYD\n"
  "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC\n"
  "IAd6JCKrpgcnIXh2uRBbBEAGdLnHibe3X6FsEFtmbPFoAiAxjcK/TjymxbWobIc5\n"
  "b9gQVo96AeKWFjtdcyVTJMu2aA==\n"
  "-----END CERTIFICATE-----\n"
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghw4mgKbuB8mT/+k0\n"
  "2wkNYVqL/OMje6bQ4C2RH+voGPihRANCAAT2HN9GOHW2hlleYqHHO4xH4ohodZwv\n"
  "Q+0EZnMn84xnmjptvn46XukTRC63yxEj2uhVVj8EstUIaeA6pi5cDynO\n"
  "-----END PRIVATE KEY-----\n";

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **error = user_data;
  CrossingStartReply *reply = crossing_api_start_finish (CROSSING_API (source), result, error);

  g_assert_null (reply);
  g_assert_nonnull (*error);
}

static void
test_untrusted_certificate_in_words (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(CrossingApi) api = NULL;
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  GSList *uris;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking)");
      return;
    }

  certificate = g_tls_certificate_new_from_pem (self_signed_pem, -1, &error);
  g_assert_no_error (error);
  server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_listen (server, address, SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  api = crossing_api_new (url, NULL);
  crossing_api_start_async (api, &login_request, NULL, on_started, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (error->domain == G_TLS_ERROR);
  text = crossing_error_describe (error, url);
  g_assert_nonnull (strstr (text, "not trusted"));
  g_assert_nonnull (strstr (text, url));
}

/* Sessions for a server on this machine look up no proxy: the system's proxy
 * settings are read on a worker thread and delayed the first code. */
static void
test_loopback_servers_use_no_proxy (void)
{
  static const char *loopback[] = {
    "http://127.0.0.1:8787", "http://127.1.2.3", "https://localhost:8443/auth",
    "http://LOCALHOST", "http://[::1]:8787/",
  };
  static const char *remote[] = {
    "https://auth.example.org", "http://192.168.1.20:8787", "http://[2001:db8::1]/",
    "http://localhost.example.org", "not a url", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (loopback); i++)
    g_assert_true (crossing_api_url_is_loopback (loopback[i]));
  for (guint i = 0; i < G_N_ELEMENTS (remote); i++)
    g_assert_false (crossing_api_url_is_loopback (remote[i]));
}

static JsonObject *
object_from (const char *text)
{
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  JsonObject *object = crossing_api_parse_reply (200, NULL, body, &error);

  g_assert_no_error (error);
  return object;
}

#define START_FIELDS "\"orderId\":\"ORDER1\",\"desktopToken\":\"desktop1\"," \
  "\"eventToken\":\"event1\",\"claimUrl\":\"http://127.0.0.1/cross-device/claim/ORDER1?token=c\""

/* A code to type is shown only in the contract's form, with its address. */
static void
test_start_reply_user_code (void)
{
  static const struct {
    const char *extra;
    const char *code;
  } cases[] = {
    { ",\"userCode\":\"WDJB-MJHT\",\"verificationUri\":\"http://127.0.0.1/cross-device/code\"",
      "WDJB-MJHT" },
    { ",\"userCode\":\"WDJB-MJHT\"", NULL },                            /* no address */
    { ",\"userCode\":\"wdjb mjht\",\"verificationUri\":\"http://x/code\"", NULL },
    { ",\"userCode\":\"WDJB\\nMJHT\",\"verificationUri\":\"http://x/code\"", NULL },
    { ",\"userCode\":\"WDJB-MJHT\",\"verificationUri\":\"javascript:alert(1)\"", NULL },
    { ",\"userCode\":42,\"verificationUri\":\"http://x/code\"", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strconcat ("{" START_FIELDS, cases[i].extra, "}", NULL);
      g_autoptr(JsonObject) object = object_from (text);
      g_autoptr(GError) error = NULL;
      g_autoptr(CrossingStartReply) reply = crossing_api_start_reply_from_json (object, &error);

      /* Whatever the code, the order itself is good. */
      g_assert_no_error (error);
      g_assert_cmpstr (reply->user_code, ==, cases[i].code);
      g_assert_true ((reply->verification_uri != NULL) == (cases[i].code != NULL));
    }
}

static void
test_status_reply (void)
{
  g_autoptr(JsonObject) object =
    object_from ("{\"orderId\":\"O\",\"status\":\"claimed\",\"kind\":\"login\",\"checkCode\":\"42\","
                 "\"sequence\":2,\"expiresAt\":1795341720000,\"interval\":3}");
  g_autoptr(JsonObject) odd = object_from ("{\"orderId\":\"O\",\"status\":\"claimed\","
                                           "\"sequence\":-4,\"interval\":99999}");
  g_autoptr(JsonObject) unknown = object_from ("{\"orderId\":\"O\",\"status\":\"dancing\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingStatusReply) reply = crossing_api_status_reply_from_json (object, &error);
  g_autoptr(CrossingStatusReply) odd_reply = NULL;
  g_autoptr(CrossingStatusReply) unknown_reply = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (reply->status, ==, CROSSING_STATUS_CLAIMED);
  g_assert_cmpint (reply->sequence, ==, 2);
  g_assert_cmpuint (reply->interval, ==, 3);
  g_assert_false (reply->too_early);

  /* No sequence rather than a negative one; a sane wait rather than a day. */
  odd_reply = crossing_api_status_reply_from_json (odd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (odd_reply->sequence, ==, -1);
  g_assert_cmpuint (odd_reply->interval, ==, 300);

  unknown_reply = crossing_api_status_reply_from_json (unknown, &error);
  g_assert_null (unknown_reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/api/refusals-keep-the-servers-message",
                   test_refusals_keep_the_servers_message);
  g_test_add_func ("/client/api/success-and-null", test_success_and_null);
  g_test_add_func ("/client/api/session-passkey", test_session_passkey);
  g_test_add_func ("/client/api/ledger-format-amount", test_ledger_format_amount);
  g_test_add_func ("/client/api/ledger-balances", test_ledger_balances);
  g_test_add_func ("/client/api/ledger-entries", test_ledger_entries);
  g_test_add_func ("/client/api/urls", test_urls);
  g_test_add_func ("/client/api/start-reply-user-code", test_start_reply_user_code);
  g_test_add_func ("/client/api/status-reply", test_status_reply);
  g_test_add_func ("/client/api/session-epoch-ms-or-iso-8601", test_session_both_shapes);
  g_test_add_func ("/client/api/loopback-servers-use-no-proxy", test_loopback_servers_use_no_proxy);
  g_test_add_func ("/client/error/sentences-a-person-reads", test_error_sentences);
  g_test_add_func ("/client/error/untrusted-certificate-in-words",
                   test_untrusted_certificate_in_words);
  return g_test_run ();
}
