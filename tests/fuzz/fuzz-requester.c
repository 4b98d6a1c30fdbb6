/* fuzz-requester.c: the request context's readers against any text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The User-Agent in words, the network of an address, a typed user code
 * and a typed subject (issue 14). Each answer is checked for what it
 * promises: the device is NULL or short, clean words; a normalized code is
 * 8 letters of the alphabet and normalizes to itself; a normalized subject
 * normalizes to itself.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <string.h>

#include "crossing-proof.h"
#include "crossing-protocol.h"

#include "companion-engine.h"
#include "companion-requester.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = NULL;
  g_autofree char *device = NULL;
  g_autofree char *code = NULL;
  g_autofree char *subject = NULL;
  const char *network;

  fuzz_init_glib ();
  text = fuzz_strndup (data, size);

  device = companion_requester_device (text);
  if (device != NULL)
    {
      g_assert_cmpuint (strlen (device), <, 64);
      g_assert_true (crossing_string_is_clean (device));
      g_assert_true (g_utf8_validate (device, -1, NULL));
    }

  network = companion_requester_network (text);
  g_assert_true (network == NULL || g_str_equal (network, "loopback") ||
                 g_str_equal (network, "private") || g_str_equal (network, "public"));
  if (network != NULL)
    g_assert_true (g_hostname_is_ip_address (text));

  code = companion_user_code_normalize (text);
  if (code != NULL)
    {
      g_autofree char *again = companion_user_code_normalize (code);

      g_assert_cmpuint (strlen (code), ==, COMPANION_USER_CODE_LENGTH);
      g_assert_cmpuint (strspn (code, COMPANION_USER_CODE_ALPHABET), ==,
                        COMPANION_USER_CODE_LENGTH);
      g_assert_cmpstr (again, ==, code);
    }

  subject = crossing_subject_normalize (text, NULL);
  if (subject != NULL)
    {
      g_autofree char *again = crossing_subject_normalize (subject, NULL);
      g_autofree char *shown = crossing_subject_short_form (subject);

      g_assert_cmpstr (again, ==, subject);
      g_assert_true (g_str_has_prefix (subject, shown));
    }
  return 0;
}
