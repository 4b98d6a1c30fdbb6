/* test-sse-parser.c: tricky event streams, whole and split at every byte
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-sse-parser.h"

typedef struct {
  const char *name;
  const char *stream;
  const char *expected;   /* "type|data|id" per event, joined with "\x1e" */
  gint64      retry;
} Case;

static const Case cases[] = {
  { "lf", "event: claimed\ndata: {\"a\":1}\nid: 1\n\n", "claimed|{\"a\":1}|1", -1 },
  { "crlf", "event: claimed\r\ndata: x\r\nid: 2\r\n\r\n", "claimed|x|2", -1 },
  { "cr", "event: claimed\rdata: x\rid: 3\r\r", "claimed|x|3", -1 },
  { "mixed", "data: a\r\ndata: b\rdata: c\n\r\n", "message|a\nb\nc|", -1 },
  { "bom", "\xEF\xBB\xBF" "data: first\n\n", "message|first|", -1 },
  { "bom-only-at-start", "data: a\n\n\xEF\xBB\xBF" "data: b\n\n", "message|a|", -1 },
  { "comments", ": keepalive\n\n: another\ndata: x\n\n", "message|x|", -1 },
  { "multi-line-data", "data: one\ndata:two\ndata:  three\n\n", "message|one\ntwo\n three|", -1 },
  { "id-without-data", "id: 7\n\ndata: x\n\n", "message|x|7", -1 },
  { "id-kept-across-events", "id: 4\ndata: a\n\ndata: b\n\n", "message|a|4\x1emessage|b|4", -1 },
  { "retry-valid", "retry: 3000\n\ndata: x\n\n", "message|x|", 3000 },
  { "retry-invalid", "retry: 30x0\nretry: -1\nretry:\ndata: x\n\n", "message|x|", -1 },
  { "field-without-colon", "data\n\n", "message||", -1 },
  { "unknown-field", "foo: bar\ndata: x\n\n", "message|x|", -1 },
  { "no-space-kept", "data:x\ndata:  y\n\n", "message|x\n y|", -1 },
  { "type-reset-after-dispatch", "event: a\ndata: 1\n\ndata: 2\n\n", "a|1|\x1emessage|2|", -1 },
  { "trailing-incomplete-dropped", "data: done\n\ndata: partial\n", "message|done|", -1 },
  { "empty-data-dispatches-nothing", "event: x\n\n", "", -1 },
  { "crossing-stream",
    "retry: 3000\n\nid: 1\nevent: claimed\ndata: {\"checkCode\":\"47\"}\n\n: keepalive\n\n"
    "id: 2\nevent: approved\ndata: {}\n\n",
    "claimed|{\"checkCode\":\"47\"}|1\x1e" "approved|{}|2", 3000 },
};

static void
on_event (const char *type,
          const char *data,
          const char *last_event_id,
          gpointer    user_data)
{
  GString *out = user_data;

  if (out->len > 0)
    g_string_append_c (out, '\x1e');
  g_string_append_printf (out, "%s|%s|%s", type, data, last_event_id);
}

static char *
parse_in_pieces (const char *stream,
                 gsize       split,
                 gsize       step,
                 gint64     *out_retry)
{
  GString *out = g_string_new (NULL);
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, NULL, out);
  gsize len = strlen (stream);
  g_autoptr(GError) error = NULL;

  if (step == 0)
    {
      g_assert_true (crossing_sse_parser_feed (parser, stream, split, &error));
      g_assert_true (crossing_sse_parser_feed (parser, stream + split, len - split, &error));
    }
  else
    for (gsize i = 0; i < len; i += step)
      g_assert_true (crossing_sse_parser_feed (parser, stream + i, MIN (step, len - i), &error));

  g_assert_no_error (error);
  *out_retry = crossing_sse_parser_get_retry (parser);
  return g_string_free (out, FALSE);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  gsize len = strlen (c->stream);
  gint64 retry;

  for (gsize split = 0; split <= len; split++)
    {
      g_autofree char *events = parse_in_pieces (c->stream, split, 0, &retry);

      if (g_strcmp0 (events, c->expected) != 0)
        g_error ("%s split at %" G_GSIZE_FORMAT ": got «%s», want «%s»", c->name, split, events,
                 c->expected);
      g_assert_cmpint (retry, ==, c->retry);
    }

  {
    g_autofree char *events = parse_in_pieces (c->stream, 0, 1, &retry);
    g_assert_cmpstr (events, ==, c->expected);
  }
}

static void
test_limits (void)
{
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, NULL, NULL);
  g_autofree char *long_line = g_strnfill (200, 'a');
  g_autoptr(GError) error = NULL;

  crossing_sse_parser_set_limits (parser, 100, 1000);
  g_assert_false (crossing_sse_parser_feed (parser, long_line, 200, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);

  /* An event made of many short data lines is bounded too. */
  crossing_sse_parser_reset (parser);
  for (guint i = 0; i < 200 && error == NULL; i++)
    crossing_sse_parser_feed (parser, "data: 0123456789\n", 17, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static void
test_reset_keeps_last_id (void)
{
  GString *out = g_string_new (NULL);
  g_autoptr(CrossingSseParser) parser = crossing_sse_parser_new (on_event, NULL, out);

  g_assert_true (crossing_sse_parser_feed (parser, "id: 5\ndata: a\n\ndata: part", 26, NULL));
  crossing_sse_parser_reset (parser);
  g_assert_cmpstr (crossing_sse_parser_get_last_event_id (parser), ==, "5");
  g_assert_true (crossing_sse_parser_feed (parser, "data: b\n\n", 9, NULL));
  g_assert_cmpstr (out->str, ==, "message|a|5\x1emessage|b|5");
  g_string_free (out, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/protocol/sse-parser/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/protocol/sse-parser/limits-bound-memory", test_limits);
  g_test_add_func ("/protocol/sse-parser/reset-keeps-last-event-id", test_reset_keeps_last_id);
  return g_test_run ();
}
