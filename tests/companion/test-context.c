/* test-context.c: who is asking, from where: the requester and custom context
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "companion-requester.h"
#include "companion-test-utils.h"

static void
test_device (void)
{
  const struct {
    const char *user_agent;
    const char *device;
  } cases[] = {
    { "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
      "Firefox on Linux" },
    { "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
      "Firefox on Linux" },
    { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome on Android" },
    { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
      "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", "Safari on iOS" },
    { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.2 Safari/605.1.15", "Safari on macOS" },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge on Windows" },
    { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "Opera on Windows" },
    { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36", "Chrome on ChromeOS" },
    { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
      "like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "Chrome on iOS" },
    /* The desktop client's own, with and without its system named. */
    { "crossing/1.2", "Crossing 1.2" },
    { "crossing/1.2 (Linux)", "Crossing 1.2 on Linux" },
    { "crossing/0.9.1 (X11; Linux x86_64)", "Crossing 0.9.1 on Linux" },
    { "crossing/?", "Crossing" },
    /* A system alone; nothing at all; never a guess. */
    { "Mozilla/5.0 (X11; Linux x86_64)", "Linux" },
    { "Mozilla/5.0 (Linux; Android 14; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Mobile Safari/537.36", "Android" },
    { "curl/8.5.0", NULL },
    { "Mozilla/5.0", NULL },
    { "", NULL },
    { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *device = companion_requester_device (cases[i].user_agent);

      g_assert_cmpstr (device, ==, cases[i].device);
    }
}

static void
test_network (void)
{
  const struct {
    const char *ip;
    const char *network;
  } cases[] = {
    { "127.0.0.1", "loopback" },
    { "127.8.9.10", "loopback" },
    { "::1", "loopback" },
    { "::ffff:127.0.0.1", "loopback" },
    { "10.1.2.3", "private" },
    { "172.16.0.1", "private" },
    { "172.31.255.255", "private" },
    { "172.32.0.1", "public" },
    { "192.168.1.20", "private" },
    { "::ffff:192.168.1.20", "private" },
    { "169.254.3.4", "private" },
    { "100.64.0.1", "private" },
    { "100.127.255.255", "private" },
    { "100.128.0.1", "public" },
    { "100.63.255.255", "public" },
    { "fc00::1", "private" },
    { "fd12:3456:789a::1", "private" },
    { "fe80::1", "private" },
    { "fe00::1", "public" },
    { "203.0.113.7", "public" },
    { "2001:db8::1", "public" },
    { "example.org", NULL },
    { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (companion_requester_network (cases[i].ip), ==, cases[i].network);
}

/* ---- a generated database -------------------------------------------------- */

/* Writes @path with tests/companion/make-test-geoip.pl (Debian's
 * libmaxmind-db-writer-perl): never a downloaded database. */
static void
make_geoip_db (const char *path,
               const char *const *networks)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "companion",
                                                   "make-test-geoip.pl", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "perl");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (gpointer) path);
  for (guint i = 0; networks[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) networks[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("make-test-geoip.pl failed: %s", err);
}

static const char *const berlin[] = {
  "203.0.113.0/24,DE,Germany,Berlin",
  "198.51.100.0/24,FR,France,",
  "2001:db8:7::/48,NL,Netherlands,Amsterdam",
  NULL,
};

static const char *const paris[] = {
  "203.0.113.0/24,FR,France,Paris",
  NULL,
};

static void
setup_geoip (CtFixture     *f,
             gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->trust_proxy = TRUE;
  f->config->geoip_db = g_build_filename (f->tmp_dir, "city.mmdb", NULL);
  make_geoip_db (f->config->geoip_db, berlin);
  ct_fixture_start (f);
}

/* Starts an order as the desktop at @forwarded_for (NULL: none) with
 * @user_agent (NULL: none), claims and challenges it; the envelope. */
static JsonNode *
envelope_from (CtFixture  *f,
               const char *forwarded_for,
               const char *user_agent,
               const char *extra_members,
               CtOrder   **out_order)
{
  g_autofree char *body = g_strdup_printf ("{\"kind\":\"login\"%s%s}",
                                           extra_members != NULL ? "," : "",
                                           extra_members != NULL ? extra_members : "");
  g_autoptr(SoupMessage) msg = ct_message_new_post (f, "start", "application/json", body, -1);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr(CtResponse) started = NULL;
  g_autofree char *session_agent = NULL;
  CtOrder *order = g_new0 (CtOrder, 1);
  JsonObject *o;
  JsonNode *envelope;

  if (forwarded_for != NULL)
    soup_message_headers_replace (headers, "X-Forwarded-For", forwarded_for);
  /* The session writes its own User-Agent over the message's. */
  g_object_get (f->session, "user-agent", &session_agent, NULL);
  g_object_set (f->session, "user-agent", user_agent, NULL);
  started = ct_send (f, msg);
  g_object_set (f->session, "user-agent", session_agent, NULL);
  g_assert_cmpuint (started->status, ==, 200);
  o = ct_response_object (started);
  order->order_id = g_strdup (ct_json_string (o, "orderId"));
  order->kind = g_strdup ("login");
  order->adapter_id = g_strdup (ct_json_string (o, "adapterId"));
  order->claim_token = g_strdup (ct_json_string (o, "claimToken"));
  order->event_token = g_strdup (ct_json_string (o, "eventToken"));
  order->desktop_token = g_strdup (ct_json_string (o, "desktopToken"));
  ct_seed_for (0, order->seed);

  ct_order_claim (f, order);
  envelope = ct_order_challenge (f, order);
  if (out_order != NULL)
    *out_order = order;
  else
    ct_order_free (order);
  return envelope;
}

static JsonObject *
requester_of (JsonNode *envelope)
{
  return ct_json_object (json_node_get_object (envelope), "requester");
}

/* PROTOCOL.md's check: from 127.0.0.1, loopback and no location. */
static void
test_loopback_no_database (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(JsonNode) envelope = envelope_from (f, NULL, "crossing/1.2", NULL, NULL);
  JsonObject *requester = requester_of (envelope);

  g_assert_cmpstr (ct_json_string (requester, "ip"), ==, "127.0.0.1");
  g_assert_cmpstr (ct_json_string (requester, "userAgent"), ==, "crossing/1.2");
  g_assert_cmpstr (ct_json_string (requester, "device"), ==, "Crossing 1.2");
  g_assert_cmpstr (ct_json_string (requester, "network"), ==, "loopback");
  g_assert_true (json_object_has_member (requester, "location"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (requester, "location")));
}

static void
test_unknown_device_is_null (CtFixture     *f,
                             gconstpointer  data)
{
  g_autoptr(JsonNode) envelope = envelope_from (f, NULL, "curl/8.5.0", NULL, NULL);
  JsonObject *requester = requester_of (envelope);

  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (requester, "device")));
}

/* PROTOCOL.md's check: behind --trust-proxy, the reported address and the
 * generated database's Berlin. */
static void
test_location_behind_proxy (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(JsonNode) envelope = envelope_from (
    f, "203.0.113.7",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", NULL, NULL);
  g_autoptr(JsonNode) france = envelope_from (f, "10.0.0.1, 198.51.100.20", NULL, NULL, NULL);
  g_autoptr(JsonNode) v6 = envelope_from (f, "2001:db8:7::99", NULL, NULL, NULL);
  g_autoptr(JsonNode) unknown = envelope_from (f, "192.0.2.1", NULL, NULL, NULL);
  JsonObject *requester = requester_of (envelope);
  JsonObject *location = ct_json_object (requester, "location");

  g_assert_cmpstr (ct_json_string (requester, "ip"), ==, "203.0.113.7");
  g_assert_cmpstr (ct_json_string (requester, "device"), ==, "Firefox on Linux");
  g_assert_cmpstr (ct_json_string (requester, "network"), ==, "public");
  g_assert_cmpstr (ct_json_string (location, "country"), ==, "DE");
  g_assert_cmpstr (ct_json_string (location, "countryName"), ==, "Germany");
  g_assert_cmpstr (ct_json_string (location, "city"), ==, "Berlin");
  g_assert_cmpuint (json_object_get_size (location), ==, 3);

  /* A country without a city: the city is null. */
  location = ct_json_object (requester_of (france), "location");
  g_assert_cmpstr (ct_json_string (requester_of (france), "ip"), ==, "198.51.100.20");
  g_assert_cmpstr (ct_json_string (location, "countryName"), ==, "France");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (location, "city")));

  location = ct_json_object (requester_of (v6), "location");
  g_assert_cmpstr (ct_json_string (location, "city"), ==, "Amsterdam");

  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (requester_of (unknown),
                                                               "location")));
}

/* The phone that claims is not the requester. */
static void
test_requester_is_the_desktop (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = envelope_from (f, "203.0.113.7", "crossing/1.2", NULL, &order);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(CtResponse) again = NULL;
  g_autofree char *body = g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                                           order->order_id, order->challenge_token);
  JsonObject *requester;

  msg = ct_message_new_post (f, "challenge", "application/json", body, -1);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                "198.51.100.20");
  g_object_set (f->session, "user-agent", "Mozilla/5.0 (Linux; Android 14) Firefox/121.0", NULL);
  again = ct_send (f, msg);
  g_assert_cmpuint (again->status, ==, 200);
  requester = ct_json_object (ct_response_object (again), "requester");
  g_assert_cmpstr (ct_json_string (requester, "ip"), ==, "203.0.113.7");
  g_assert_cmpstr (ct_json_string (requester, "device"), ==, "Crossing 1.2");
  g_assert_cmpstr (ct_json_string (ct_json_object (requester, "location"), "city"), ==,
                   "Berlin");
}

typedef struct {
  CtFixture *f;
  CtOrder   *order;
  const char *city;
} CityWait;

static gboolean
city_is (gpointer data)
{
  CityWait *wait = data;
  g_autoptr(JsonNode) envelope = ct_order_challenge (wait->f, wait->order);
  JsonObject *location = ct_json_object (requester_of (envelope), "location");

  return g_strcmp0 (ct_json_string (location, "city"), wait->city) == 0;
}

/* The databases are updated monthly: a new file and SIGHUP, no restart. */
static void
test_reopened_on_sighup (CtFixture     *f,
                         gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = envelope_from (f, "203.0.113.7", NULL, NULL, &order);
  g_autofree char *next = g_build_filename (f->tmp_dir, "next.mmdb", NULL);
  CityWait wait = { f, order, "Paris" };

  g_assert_cmpstr (ct_json_string (ct_json_object (requester_of (envelope), "location"), "city"),
                   ==, "Berlin");

  /* Replaced as an update would: a new file renamed over the old one. */
  make_geoip_db (next, paris);
  g_assert_no_errno (g_rename (next, f->config->geoip_db));
  g_assert_true (city_is (&(CityWait) { f, order, "Berlin" }));

  raise (SIGHUP);
  g_assert_true (ct_wait_until (city_is, &wait, CT_TIMEOUT_MS));
}

static void
test_unreadable_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionGeoip) geoip = companion_geoip_open ("/nonexistent/city.mmdb", &error);

  g_assert_null (geoip);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/city.mmdb"));
}

/* ---- custom context -------------------------------------------------------- */

/* PROTOCOL.md's check: signed, one line, in the sorted details block. */
static void
test_context_in_signed_message (CtFixture     *f,
                                gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = envelope_from (f, NULL, NULL,
                                                "\"context\":{\"terminal\":\"Till 4\","
                                                "\"aisle\":\"7 (north)\"}",
                                                &order);
  g_autoptr(CtResponse) approved = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  g_autofree char *expected = NULL;
  JsonObject *details = ct_json_object (json_node_get_object (envelope), "details");

  expected = g_strdup_printf ("\naisle: 7 (north)\nkind: login\norderId: %s\n"
                              "summary: Approve login for Crossing.\nterminal: Till 4\n"
                              "title: Crossing login",
                              order->order_id);
  g_assert_true (g_str_has_suffix (order->message, expected));
  g_assert_cmpstr (ct_json_string (details, "terminal"), ==, "Till 4");
  g_assert_cmpstr (ct_json_string (details, "aisle"), ==, "7 (north)");
  g_assert_cmpuint (json_object_get_size (details), ==, 6);

  /* And it is what the phone signs (the code as the desktop shows it). */
  stored = companion_store_get_order (ct_fixture_get_store (f), order->order_id, NULL);
  order->check_code = g_strdup (stored->check_code);
  ct_order_sign (order);
  approved = ct_order_send_approve (f, order);
  g_assert_cmpuint (approved->status, ==, 200);
}

static void
test_context_limits (CtFixture     *f,
                     gconstpointer  data)
{
  g_autofree char *long_value = g_strnfill (200, 'x');
  g_autofree char *too_long_value = g_strnfill (201, 'x');
  g_autofree char *long_key = g_strnfill (32, 'k');
  g_autofree char *too_long_key = g_strnfill (33, 'k');
  g_autofree char *ok_long = g_strdup_printf ("{\"kind\":\"sign\",\"context\":{\"%s\":\"%s\"}}",
                                              long_key, long_value);
  g_autofree char *bad_value = g_strdup_printf ("{\"kind\":\"sign\",\"context\":{\"a\":\"%s\"}}",
                                                too_long_value);
  g_autofree char *bad_key = g_strdup_printf ("{\"kind\":\"sign\",\"context\":{\"%s\":\"x\"}}",
                                              too_long_key);
  /* 200 characters, 400 bytes: the limit counts characters. */
  g_autoptr(GString) umlauts = g_string_new ("{\"kind\":\"sign\",\"context\":{\"a\":\"");
  const char *good[] = {
    "{\"kind\":\"sign\",\"context\":{}}",
    "{\"kind\":\"sign\",\"context\":null}",
    "{\"kind\":\"sign\",\"context\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\","
    "\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h_8\":\"8\"}}",
    ok_long,
    NULL,
  };
  const char *bad[] = {
    "{\"kind\":\"sign\",\"context\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\","
    "\"e\":\"5\",\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\"}}",
    "{\"kind\":\"sign\",\"context\":{\"Terminal\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"1st\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"_a\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a-b\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a\\n\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"title\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"kind\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"summary\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"subject\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"amount\":\"1\"}}",
    "{\"kind\":\"sign\",\"context\":{\"asset\":\"EUR\"}}",
    "{\"kind\":\"sign\",\"context\":{\"orderId\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"reservationId\":\"x\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":\"\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":\"line\\nforged: yes\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":\"tab\\there\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":\"del\\u007f\"}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":4}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":null}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":[\"x\"]}}",
    "{\"kind\":\"sign\",\"context\":{\"a\":{\"b\":\"c\"}}}",
    "{\"kind\":\"sign\",\"context\":[\"a\",\"b\"]}",
    "{\"kind\":\"sign\",\"context\":\"terminal: Till 4\"}",
    bad_value,
    bad_key,
    NULL,
  };

  for (guint i = 0; i < 200; i++)
    g_string_append (umlauts, "\xc3\xa4");
  g_string_append (umlauts, "\"}}");

  for (guint i = 0; good[i] != NULL; i++)
    {
      g_autoptr(CtResponse) response = ct_post (f, "start", good[i]);

      g_assert_cmpuint (response->status, ==, 200);
    }
  {
    g_autoptr(CtResponse) response = ct_post (f, "start", umlauts->str);

    g_assert_cmpuint (response->status, ==, 200);
  }
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(CtResponse) response = ct_post (f, "start", bad[i]);

      if (response->status != 400)
        g_test_message ("accepted: %s", bad[i]);
      ct_response_assert_error (response, 400, "INVALID_REQUEST");
    }
}

/* Identified orders and context together: one sorted block. */
static void
test_context_with_subject (CtFixture     *f,
                           gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) envelope = envelope_from (
    f, NULL, NULL,
    "\"subject\":\"NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U\","
    "\"context\":{\"shop\":\"Corner\",\"zone\":\"B\"}", &order);
  g_autofree char *expected = NULL;

  expected = g_strdup_printf ("\nkind: login\norderId: %s\nshop: Corner\n"
                              "subject: NQ71 CT4K 7R9R EHSB 7HY9 TSTP XNRQ L2RK 8U4U\n"
                              "summary: Approve login for Crossing.\ntitle: Crossing login\n"
                              "zone: B", order->order_id);
  g_assert_true (g_str_has_suffix (order->message, expected));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/companion/context/" path, CtFixture, NULL, ct_fixture_setup, func, \
              ct_fixture_teardown)
#define ADD_GEOIP(path, func) \
  g_test_add ("/companion/context/" path, CtFixture, NULL, setup_geoip, func, \
              ct_fixture_teardown)

  g_test_add_func ("/companion/context/device-in-words", test_device);
  g_test_add_func ("/companion/context/network-kinds", test_network);
  g_test_add_func ("/companion/context/unreadable-database-named", test_unreadable_database);
  ADD ("loopback-without-database", test_loopback_no_database);
  ADD ("unknown-device-is-null", test_unknown_device_is_null);
  ADD_GEOIP ("location-behind-proxy", test_location_behind_proxy);
  ADD_GEOIP ("requester-is-the-desktop", test_requester_is_the_desktop);
  ADD_GEOIP ("database-reopened-on-sighup", test_reopened_on_sighup);
  ADD ("custom/in-the-signed-message", test_context_in_signed_message);
  ADD ("custom/limits", test_context_limits);
  ADD ("custom/with-subject-one-sorted-block", test_context_with_subject);

  return g_test_run ();
}
