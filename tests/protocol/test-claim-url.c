/* test-claim-url.c: taking claim links apart
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-claim-url.h"

static void
test_good (void)
{
  static const struct {
    const char *url, *origin, *prefix, *order_id, *token, *api;
  } cases[] = {
    { "http://127.0.0.1:8787/cross-device/claim/abcDEF012_-x?token=T0k-en_",
      "http://127.0.0.1:8787", "", "abcDEF012_-x", "T0k-en_",
      "http://127.0.0.1:8787/api/auth/cross-device" },
    { "https://auth.example.org/login/cross-device/claim/ORDER?x=1&token=tok",
      "https://auth.example.org", "/login", "ORDER", "tok",
      "https://auth.example.org/login/api/auth/cross-device" },
    { "https://auth.example.org:8443/a/b/cross-device/claim/o1?token=t1#fragment",
      "https://auth.example.org:8443", "/a/b", "o1", "t1",
      "https://auth.example.org:8443/a/b/api/auth/cross-device" },
    { "http://[::1]:9000/cross-device/claim/o?token=t",
      "http://[::1]:9000", "", "o", "t", "http://[::1]:9000/api/auth/cross-device" },
    { "https://[2001:DB8::1]/cross-device/claim/o?token=t",
      "https://[2001:db8::1]", "", "o", "t", "https://[2001:db8::1]/api/auth/cross-device" },
    /* Default ports are not part of an origin; the scheme and host are lowercase. */
    { "HTTPS://Auth.Example.ORG:443/cross-device/claim/o?token=t",
      "https://auth.example.org", "", "o", "t", "https://auth.example.org/api/auth/cross-device" },
    { "http://localhost:80/cross-device/claim/o?token=t",
      "http://localhost", "", "o", "t", "http://localhost/api/auth/cross-device" },
    { "http://localhost:443/cross-device/claim/o?token=t",
      "http://localhost:443", "", "o", "t", "http://localhost:443/api/auth/cross-device" },
    /* Percent-encoding in the query is decoded before the token is checked. */
    { "http://h/cross-device/claim/o?token=ab%2Dc&other=%20",
      "http://h", "", "o", "ab-c", "http://h/api/auth/cross-device" },
    /* Only the last claim segment counts. */
    { "http://h/cross-device/claim/x/cross-device/claim/o?token=t",
      "http://h", "/cross-device/claim/x", "o", "t",
      "http://h/cross-device/claim/x/api/auth/cross-device" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CrossingClaimUrl) url = crossing_claim_url_parse (cases[i].url, &error);
      g_autofree char *api = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (url);
      g_assert_cmpstr (url->origin, ==, cases[i].origin);
      g_assert_cmpstr (url->prefix, ==, cases[i].prefix);
      g_assert_cmpstr (url->order_id, ==, cases[i].order_id);
      g_assert_cmpstr (url->claim_token, ==, cases[i].token);
      api = crossing_claim_url_api_base (url, "/api/auth");
      g_assert_cmpstr (api, ==, cases[i].api);
    }
}

static void
test_api_base_paths (void)
{
  g_autoptr(CrossingClaimUrl) url =
    crossing_claim_url_parse ("https://h.example/sub/cross-device/claim/ORDER1?token=TOKEN1", NULL);
  g_autofree char *custom = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *fallback = NULL;

  g_assert_nonnull (url);
  custom = crossing_claim_url_api_base (url, "/auth");
  empty = crossing_claim_url_api_base (url, "");
  fallback = crossing_claim_url_api_base (url, NULL);
  g_assert_cmpstr (custom, ==, "https://h.example/sub/auth/cross-device");
  g_assert_cmpstr (empty, ==, "https://h.example/sub/cross-device");
  g_assert_cmpstr (fallback, ==, "https://h.example/sub/api/auth/cross-device");
}

static void
test_bad (void)
{
  static const char *bad[] = {
    "", "not a url", "/cross-device/claim/o?token=t",
    "ftp://h/cross-device/claim/o?token=t",           /* wrong scheme */
    "file:///cross-device/claim/o?token=t",
    "javascript:alert(1)",
    "crossing://h/cross-device/claim/o?token=t",
    "http://h/cross-device/claim/o",                  /* no token */
    "http://h/cross-device/claim/o?token=",
    "http://h/cross-device/claim/o?tokens=t",
    "http://h/cross-device/claim/o#token=t",
    "http://h/cross-device/claim/o?token=a%20b",      /* bad token characters */
    "http://h/cross-device/claim/o?token=a+b",
    "http://h/cross-device/claim/o?token=a/b",
    "http://h/cross-device/claim/o?token=%zz",
    "http://h/cross-device/claim/o?token=caf%C3%A9",
    "http://h/cross-device/claim/?token=t",           /* missing order id */
    "http://h/cross-device/claim?token=t",
    "http://h/cross-device/claim/a/b?token=t",
    "http://h/cross-device/claim/o%2F..?token=t",
    "http://h/cross-device/claim/o.p?token=t",
    "http://h/elsewhere/o?token=t",                   /* not a claim path */
    "http://h/cross-device/o?token=t",
    "http://h/?token=t",
    "http:///cross-device/claim/o?token=t",           /* no host */
    "http://user:pass@h/cross-device/claim/o?token=t",
    "http://good.example@evil.example/cross-device/claim/o?token=t",
    "http://h%2Fevil/cross-device/claim/o?token=t",
    "http://h:0/cross-device/claim/o?token=t",
    "http://h:99999/cross-device/claim/o?token=t",
    "http://h/cross-device/claim/o?token=t\xff",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CrossingClaimUrl) url = crossing_claim_url_parse (bad[i], &error);

      if (url != NULL)
        g_error ("accepted %s", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_cmpuint (strlen (error->message), >, 0);
    }

  g_assert_null (crossing_claim_url_parse (NULL, NULL));
}

static void
test_long_token_refused (void)
{
  g_autofree char *token = g_strnfill (129, 'a');
  g_autofree char *url = g_strconcat ("http://h/cross-device/claim/o?token=", token, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CrossingClaimUrl) claim = crossing_claim_url_parse (url, &error);

  g_assert_null (claim);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_messages_say_what_is_wrong (void)
{
  static const struct {
    const char *url, *message;
  } cases[] = {
    { "ftp://h/cross-device/claim/o?token=t",
      "A sign-in link must start with http:// or https://" },
    { "http://h/elsewhere/o?token=t", "This is not a Crossing sign-in link" },
    { "http://h/cross-device/claim/o", "The link has no token" },
    { "http://h/cross-device/claim/o?token=a%20b", "The link's token is malformed" },
    { "http://h/cross-device/claim/?token=t", "The link has no order" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CrossingClaimUrl) url = crossing_claim_url_parse (cases[i].url, &error);

      g_assert_null (url);
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/claim-url/parses-origin-prefix-order-and-token", test_good);
  g_test_add_func ("/protocol/claim-url/api-base-joins-prefix-and-base-path", test_api_base_paths);
  g_test_add_func ("/protocol/claim-url/rejects-what-is-not-a-claim-link", test_bad);
  g_test_add_func ("/protocol/claim-url/rejects-overlong-token", test_long_token_refused);
  g_test_add_func ("/protocol/claim-url/messages-say-what-is-wrong",
                   test_messages_say_what_is_wrong);
  return g_test_run ();
}
