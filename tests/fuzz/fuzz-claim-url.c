/* fuzz-claim-url.c: the claim-link parser against any text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parser accepts must be a link it would build itself: the parts
 * put back together parse to the same parts.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-claim-url.h"
#include "crossing-protocol.h"
#include "crossing-token.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = NULL;
  g_autoptr(CrossingClaimUrl) parsed = NULL;
  g_autoptr(CrossingClaimUrl) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rebuilt = NULL;
  g_autofree char *api_base = NULL;

  fuzz_init_glib ();
  text = fuzz_strndup (data, size);
  parsed = crossing_claim_url_parse (text, &error);
  if (parsed == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  g_assert_true (g_str_has_prefix (parsed->origin, "http://") ||
                 g_str_has_prefix (parsed->origin, "https://"));
  g_assert_false (g_str_has_suffix (parsed->origin, "/"));
  g_assert_true (crossing_token_is_well_formed (parsed->order_id));
  g_assert_true (crossing_token_is_well_formed (parsed->claim_token));
  g_assert_null (strchr (parsed->prefix, '?'));
  g_assert_null (strchr (parsed->prefix, '#'));

  api_base = crossing_claim_url_api_base (parsed, NULL);
  g_assert_true (g_str_has_prefix (api_base, parsed->origin));
  g_assert_true (g_str_has_suffix (api_base, CROSSING_CROSS_DEVICE_PREFIX));

  rebuilt = g_strdup_printf ("%s%s/cross-device/claim/%s?token=%s", parsed->origin,
                             parsed->prefix, parsed->order_id, parsed->claim_token);
  again = crossing_claim_url_parse (rebuilt, &error);
  if (again == NULL)
    g_error ("%s parsed, but its parts put back together (%s) do not: %s", text, rebuilt,
             error->message);
  g_assert_cmpstr (again->origin, ==, parsed->origin);
  g_assert_cmpstr (again->prefix, ==, parsed->prefix);
  g_assert_cmpstr (again->order_id, ==, parsed->order_id);
  g_assert_cmpstr (again->claim_token, ==, parsed->claim_token);
  return 0;
}
