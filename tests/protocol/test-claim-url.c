/* test-claim-url.c: taking claim links apart
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "crossing-claim-url.h"

static void
test_good (void)
{
  static const struct {
    const char *url, *origin, *prefix, *api;
  } cases[] = {
    { "http://127.0.0.1:8787/cross-device/claim/abcDEF012_-x?token=T0k-en_",
      "http://127.0.0.1:8787", "", "http://127.0.0.1:8787/api/auth/cross-device" },
    { "https://auth.example.org/login/cross-device/claim/ORDER?x=1&token=tok",
      "https://auth.example.org", "/login", "https://auth.example.org/login/api/auth/cross-device" },
    { "http://[::1]:9000/cross-device/claim/o?token=t",
      "http://[::1]:9000", "", "http://[::1]:9000/api/auth/cross-device" },
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
      api = crossing_claim_url_api_base (url, "/api/auth");
      g_assert_cmpstr (api, ==, cases[i].api);
    }
}

static void
test_parts (void)
{
  g_autoptr(CrossingClaimUrl) url =
    crossing_claim_url_parse ("http://h/cross-device/claim/ORDER1?token=TOKEN1", NULL);

  g_assert_cmpstr (url->order_id, ==, "ORDER1");
  g_assert_cmpstr (url->claim_token, ==, "TOKEN1");
}

static void
test_bad (void)
{
  static const char *bad[] = {
    "", "not a url", "ftp://h/cross-device/claim/o?token=t", "javascript:alert(1)",
    "http://h/cross-device/claim/o", "http://h/cross-device/claim/o?token=",
    "http://h/cross-device/claim/o?token=a%20b", "http://h/cross-device/claim/?token=t",
    "http://h/cross-device/claim/a/b?token=t", "http://h/elsewhere/o?token=t",
    "http:///cross-device/claim/o?token=t", "http://h/cross-device/claim/o%2F..?token=t",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CrossingClaimUrl) url = crossing_claim_url_parse (bad[i], &error);

      if (url != NULL)
        g_error ("accepted %s", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/claim-url/parses-origin-prefix-and-api", test_good);
  g_test_add_func ("/protocol/claim-url/extracts-order-and-token", test_parts);
  g_test_add_func ("/protocol/claim-url/rejects-what-is-not-a-claim-link", test_bad);
  return g_test_run ();
}
