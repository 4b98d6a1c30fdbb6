/* fuzz-sse-parser.c: the event stream parser against any bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first byte picks the limits, the second seeds how the rest is cut
 * into chunks. The stream is parsed whole and in those chunks: a network
 * may split it anywhere, so both must dispatch the same events, comments,
 * last event ID, retry and limit error.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <gio/gio.h>

#include "crossing-sse-parser.h"

#include "fuzz-common.h"

static void
on_event (const char *event_type,
          const char *data,
          const char *last_event_id,
          gpointer    user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "E[%s][%s][%s]\n", event_type, data, last_event_id);
}

static void
on_comment (const char *comment,
            gpointer    user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "C[%s]\n", comment);
}

static void
parse (const guint8 *data,
       gsize         len,
       guint8        limits,
       guint32       seed,
       GString      *log)
{
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, on_comment, log);
  g_autoptr(GError) error = NULL;
  gsize offset = 0;
  gboolean ok = TRUE;

  /* Tiny limits (0 included) find the off-by-ones; 0xff keeps the defaults. */
  if (limits != 0xff)
    crossing_sse_parser_set_limits (parser, limits & 0x0f, (limits >> 4) * 3);

  while (ok && offset < len)
    {
      gsize chunk = len - offset;

      if (seed != 0)
        {
          seed = seed * 1103515245u + 12345u;
          chunk = MIN (chunk, 1 + (seed >> 16) % 7);
        }
      ok = crossing_sse_parser_feed (parser, (const char *) data + offset, chunk, &error);
      offset += chunk;
    }
  if (!ok)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
      g_string_append (log, "ERROR\n");
    }
  g_string_append_printf (log, "id[%s] retry[%" G_GINT64_FORMAT "]\n",
                          crossing_sse_parser_get_last_event_id (parser),
                          crossing_sse_parser_get_retry (parser));

  /* A new connection forgets the partial event but keeps id and retry. */
  crossing_sse_parser_reset (parser);
  g_assert_true (crossing_sse_parser_feed (parser, "\n\n", 2, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GString) whole = g_string_new (NULL);
  g_autoptr(GString) chunked = g_string_new (NULL);
  guint8 limits;
  guint32 seed;

  if (size < 2)
    return 0;
  fuzz_init_glib ();
  limits = data[0];
  seed = data[1] | 1u;

  parse (data + 2, size - 2, limits, 0, whole);
  parse (data + 2, size - 2, limits, seed, chunked);

  if (!g_str_equal (whole->str, chunked->str))
    {
      g_printerr ("whole:\n%s\nchunked:\n%s\n", whole->str, chunked->str);
      g_error ("the chunked parse differs from the whole one");
    }
  return 0;
}
