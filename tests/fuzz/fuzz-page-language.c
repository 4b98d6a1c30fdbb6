/* fuzz-page-language.c: the phone page under any Accept-Language header
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the header holds, the page picks one of its own languages and
 * renders the whole page in it.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <string.h>

#include "companion-page.h"
#include "companion-reply.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *header = NULL;
  g_autoptr(CompanionReply) reply = NULL;
  const char * const *languages;
  const char *language;
  guint n_languages;
  gboolean known = FALSE;

  fuzz_init_glib ();
  header = fuzz_strndup (data, size);

  language = companion_page_choose_language (header);
  languages = companion_page_get_languages (&n_languages);
  for (guint i = 0; i < n_languages; i++)
    known |= language == languages[i];
  g_assert_true (known);

  reply = companion_reply_new ();
  companion_page_serve ("code", "/api/auth/cross-device", header, reply);
  g_assert_cmpuint (companion_reply_get_status (reply), ==, 200);
  return 0;
}
